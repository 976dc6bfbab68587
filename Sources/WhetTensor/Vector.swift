/// Small SIMD helpers for the hot loops (SIMD16 of Float compiles to FMA on AVX2/AVX-512).

/// `Σ a[i] * b[i]` for `i < n`.
@inlinable public func dotProduct(
  _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int
) -> Float {
  var acc0 = SIMD16<Float>(), acc1 = SIMD16<Float>()
  var i = 0
  let ra = UnsafeRawPointer(a), rb = UnsafeRawPointer(b)
  while i + 32 <= n {
    acc0.addProduct(
      ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
      rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
    acc1.addProduct(
      ra.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self),
      rb.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self))
    i += 32
  }
  while i + 16 <= n {
    acc0.addProduct(
      ra.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self),
      rb.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
    i += 16
  }
  var s = (acc0 + acc1).sum()
  while i < n {
    s += a[i] * b[i]
    i += 1
  }
  return s
}

/// `y[i] += alpha * x[i]` for `i < n`.
@inlinable public func axpy(
  _ alpha: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int
) {
  var i = 0
  let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
  let va = SIMD16<Float>(repeating: alpha)
  while i + 16 <= n {
    var vy = ry.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
    vy.addProduct(va, rx.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self))
    ry.storeBytes(of: vy, toByteOffset: i * 4, as: SIMD16<Float>.self)
    i += 16
  }
  while i < n {
    y[i] += alpha * x[i]
    i += 1
  }
}

/// The maximum of `a[0..<n]` (`-infinity` when `n == 0`).
@inlinable public func maxElement(_ a: UnsafePointer<Float>, _ n: Int) -> Float {
  var m = -Float.infinity
  for i in 0..<n where a[i] > m { m = a[i] }
  return m
}
