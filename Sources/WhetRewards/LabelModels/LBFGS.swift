/// A small limited-memory BFGS minimiser (Nocedal & Wright, "Numerical Optimization",
/// Algorithm 7.4 two-loop recursion, with backtracking Armijo line search) for the smooth,
/// low-dimensional objectives of the moment-matching label models. MeTaL's own class-balance
/// fit uses L-BFGS for the same reason: first-order methods crawl on these quartic losses.
struct LBFGS {
  var memory = 10
  var maxIterations = 1000
  /// Stop when `max |∇f| ≤ gradientTolerance`.
  var gradientTolerance = 1e-14
  /// Stop when one step lowers `f` by at most `relativeTolerance · |f|`.
  var relativeTolerance = 1e-12

  struct Result {
    var x: [Double]
    var value: Double
    var iterations: Int
    var converged: Bool
  }

  /// Minimises `f`, which returns the value at `x` and writes the gradient into its second
  /// argument.
  func minimise(_ x0: [Double], _ f: ([Double], inout [Double]) -> Double) -> Result {
    let d = x0.count
    var x = x0
    var g = [Double](repeating: 0, count: d)
    var value = f(x, &g)
    var sList: [[Double]] = []
    var yList: [[Double]] = []
    var rhoList: [Double] = []
    var xNew = x
    var gNew = g
    var direction = g
    var alpha = [Double](repeating: 0, count: memory)
    var iteration = 0
    while iteration < maxIterations {
      if g.reduce(0, { max($0, abs($1)) }) <= gradientTolerance {
        return Result(x: x, value: value, iterations: iteration, converged: true)
      }
      iteration += 1
      // Two-loop recursion: direction = −H·g.
      for k in 0..<d { direction[k] = g[k] }
      for idx in stride(from: sList.count - 1, through: 0, by: -1) {
        var dot = 0.0
        for k in 0..<d { dot += sList[idx][k] * direction[k] }
        alpha[idx] = rhoList[idx] * dot
        for k in 0..<d { direction[k] -= alpha[idx] * yList[idx][k] }
      }
      if let last = sList.indices.last {
        var sy = 0.0
        var yy = 0.0
        for k in 0..<d {
          sy += sList[last][k] * yList[last][k]
          yy += yList[last][k] * yList[last][k]
        }
        let gamma = yy > 0 ? sy / yy : 1
        for k in 0..<d { direction[k] *= gamma }
      }
      for idx in 0..<sList.count {
        var dot = 0.0
        for k in 0..<d { dot += yList[idx][k] * direction[k] }
        let beta = rhoList[idx] * dot
        for k in 0..<d { direction[k] += sList[idx][k] * (alpha[idx] - beta) }
      }
      for k in 0..<d { direction[k] = -direction[k] }
      var slope = 0.0
      for k in 0..<d { slope += g[k] * direction[k] }
      if !(slope < 0) {
        // Not a descent direction: restart from steepest descent.
        sList.removeAll()
        yList.removeAll()
        rhoList.removeAll()
        for k in 0..<d { direction[k] = -g[k] }
        slope = -g.reduce(0) { $0 + $1 * $1 }
      }
      // Backtracking line search (Armijo, c = 1e-4).
      var step =
        sList.isEmpty ? min(1, 1 / max(direction.reduce(0) { max($0, abs($1)) }, 1e-300)) : 1
      var newValue = value
      var accepted = false
      for _ in 0..<60 {
        for k in 0..<d { xNew[k] = x[k] + step * direction[k] }
        newValue = f(xNew, &gNew)
        if newValue.isFinite && newValue <= value + 1e-4 * step * slope {
          accepted = true
          break
        }
        step *= 0.5
      }
      if !accepted {
        // No step along a descent direction lowers f any more: f is at its floating-point
        // floor, which is convergence for these objectives.
        return Result(x: x, value: value, iterations: iteration, converged: true)
      }
      var s = [Double](repeating: 0, count: d)
      var y = [Double](repeating: 0, count: d)
      var sy = 0.0
      for k in 0..<d {
        s[k] = xNew[k] - x[k]
        y[k] = gNew[k] - g[k]
        sy += s[k] * y[k]
      }
      let decrease = value - newValue
      swap(&x, &xNew)
      swap(&g, &gNew)
      let previous = value
      value = newValue
      if sy > 1e-300 {
        if sList.count == memory {
          sList.removeFirst()
          yList.removeFirst()
          rhoList.removeFirst()
        }
        sList.append(s)
        yList.append(y)
        rhoList.append(1 / sy)
      }
      if decrease <= relativeTolerance * abs(previous) {
        return Result(x: x, value: value, iterations: iteration, converged: true)
      }
    }
    return Result(x: x, value: value, iterations: iteration, converged: false)
  }
}
