/// Broadcasting add, subtract, multiply and divide, and scalar forms.

/// `a + b` with broadcasting. Backward: `da = g`, `db = g`, each summed to its shape.
public func + (a: Variable, b: Variable) -> Variable {
  let (av, bv) = (a.value, b.value)
  return Variable.result(Tensor.broadcasting(av, bv, +), inputs: [a, b]) { g in
    if a.isTracked { a.accumulateGradient(g.reduced(toShape: av.shape)) }
    if b.isTracked { b.accumulateGradient(g.reduced(toShape: bv.shape)) }
  }
}

/// `a - b` with broadcasting. Backward: `da = g`, `db = -g`.
public func - (a: Variable, b: Variable) -> Variable {
  let (av, bv) = (a.value, b.value)
  return Variable.result(Tensor.broadcasting(av, bv, -), inputs: [a, b]) { g in
    if a.isTracked { a.accumulateGradient(g.reduced(toShape: av.shape)) }
    if b.isTracked {
      var gb = g.reduced(toShape: bv.shape)
      gb.scale(by: -1)
      b.accumulateGradient(gb)
    }
  }
}

/// `a * b` with broadcasting. Backward: `da = g·b`, `db = g·a`.
public func * (a: Variable, b: Variable) -> Variable {
  let (av, bv) = (a.value, b.value)
  return Variable.result(Tensor.broadcasting(av, bv, *), inputs: [a, b]) { g in
    if a.isTracked {
      a.accumulateGradient(Tensor.broadcasting(g, bv, *).reduced(toShape: av.shape))
    }
    if b.isTracked {
      b.accumulateGradient(Tensor.broadcasting(g, av, *).reduced(toShape: bv.shape))
    }
  }
}

/// `a / b` with broadcasting. Backward: `da = g / b`, `db = -g·a / b²`.
public func / (a: Variable, b: Variable) -> Variable {
  let (av, bv) = (a.value, b.value)
  let out = Tensor.broadcasting(av, bv, /)
  return Variable.result(out, inputs: [a, b]) { g in
    if a.isTracked {
      a.accumulateGradient(Tensor.broadcasting(g, bv, /).reduced(toShape: av.shape))
    }
    if b.isTracked {
      // -g·a/b² = -g·(a/b)/b = -g·out/b, all at the broadcast shape.
      let gOut = Tensor.broadcasting(g, out, *)
      b.accumulateGradient(Tensor.broadcasting(gOut, bv) { -$0 / $1 }.reduced(toShape: bv.shape))
    }
  }
}

/// `x * c` for a constant `c`.
public func * (x: Variable, c: Float) -> Variable {
  var out = x.value
  out.scale(by: c)
  return Variable.result(out, inputs: [x]) { g in
    var gx = g
    gx.scale(by: c)
    x.accumulateGradient(gx)
  }
}

/// `x + c` for a constant `c`.
public func + (x: Variable, c: Float) -> Variable {
  let out = Tensor(shape: x.shape) { o in
    x.value.withUnsafeBufferPointer { p in for i in 0..<o.count { o[i] = p[i] + c } }
  }
  return Variable.result(out, inputs: [x]) { g in x.accumulateGradient(g) }
}

/// `-x`.
public prefix func - (x: Variable) -> Variable { x * -1 }
