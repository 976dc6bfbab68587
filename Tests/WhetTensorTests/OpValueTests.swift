import Foundation
import TestSupport
import Testing
import WhetTensor

/// Forward values against hand-worked numbers or naive loops written in Double.
@Suite struct OpValueTests {
  @Test func matmulMatchesHandComputedProduct() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let b = Tensor(shape: [3, 2], scalars: [7, 8, 9, 10, 11, 12])
    #expect(Tensor.matmul(a, b).scalars == [58, 64, 139, 154])
    // aᵀ·aᵀᵀ with both flags: [3,2]ᵀ… use a·aᵀ = [[14, 32], [32, 77]].
    #expect(Tensor.matmul(a, a, transposeB: true).scalars == [14, 32, 32, 77])
    #expect(Tensor.matmul(a, a, transposeA: true).scalars == [17, 22, 27, 22, 29, 36, 27, 36, 45])
  }

  @Test func broadcastingFollowsNumPyRules() {
    let a = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    let row = Tensor(shape: [3], scalars: [10, 20, 30])
    let column = Tensor(shape: [2, 1], scalars: [100, 200])
    #expect(Tensor.broadcasting(a, row, +).scalars == [11, 22, 33, 14, 25, 36])
    #expect(Tensor.broadcasting(a, column, +).scalars == [101, 102, 103, 204, 205, 206])
    #expect(broadcastShape([2, 1, 3], [4, 1]) == [2, 4, 3])
    #expect(Tensor.broadcasting(a, row, +).reduced(toShape: [3]).scalars == [25, 47, 69])
  }

  @Test func softmaxOfHandValues() {
    let x = Tensor(shape: [1, 3], scalars: [1, 2, 3])
    let e = [exp(1.0), exp(2.0), exp(3.0)]
    let z = e.reduce(0, +)
    #expect(isClose(x.softmax().scalars, e.map { Float($0 / z) }, absolute: 1e-6))
    // Large inputs must not overflow (the max is subtracted first).
    let big = Tensor(shape: [1, 2], scalars: [1000, 1000])
    #expect(big.logSoftmax().scalars == [Float(-log(2.0)), Float(-log(2.0))])
  }

  @Test func rmsNormOfHandValues() {
    // x = [3, 4]: mean(x²) = 12.5, so y = x / √(12.5 + ε) · w.
    let (y, _) = Tensor.rmsNorm(
      Tensor(shape: [1, 2], scalars: [3, 4]), weight: Tensor(shape: [2], scalars: [1, 2]),
      epsilon: 0)
    let r = 1 / sqrt(12.5)
    #expect(isClose(y.scalars, [Float(3 * r), Float(8 * r)], absolute: 1e-6))
  }

  @Test func ropeRotatesPairsHalfApart() {
    // One head of dim 4: pairs (0,2) and (1,3); frequencies θ^0 = 1 and θ^(-1/2) = 1/10.
    let table = RotaryTable(positions: [2], rotaryDimension: 4, theta: 100)
    let y = Tensor.rope(Tensor(shape: [1, 4], scalars: [1, 2, 3, 4]), heads: 1, table: table)
    let (a0, a1) = (2.0, 0.2)
    let expected = [
      1 * cos(a0) - 3 * sin(a0), 2 * cos(a1) - 4 * sin(a1),
      3 * cos(a0) + 1 * sin(a0), 4 * cos(a1) + 2 * sin(a1),
    ].map { Float($0) }
    #expect(isClose(y.scalars, expected, absolute: 1e-5))
  }

  /// Head size 8 takes the per-key loops, 64 the register-resident ones (`AttentionRow`);
  /// queries scaled by 6 make peaked softmaxes (scores of ±30 and more).
  @Test(arguments: [(8, 1), (64, 1), (64, 6)] as [(Int, Float)])
  func attentionMatchesNaiveLoops(d: Int, queryScale: Float) {
    let (b, t, h, kvh) = (2, 5, 4, 2)
    var q = randomTensor([b, t, h * d], seed: 1)
    q.scale(by: queryScale)
    let k = randomTensor([b, t, kvh * d], seed: 2)
    let v = randomTensor([b, t, kvh * d], seed: 3)
    let keyStart = [0, 2]
    let out = Tensor.attention(
      q: q, k: k, v: v, heads: h, kvHeads: kvh, mask: AttentionMask(keyStart: keyStart))
    var expected = [Float](repeating: 0, count: b * t * h * d)
    for bi in 0..<b {
      for hi in 0..<h {
        let kh = hi / (h / kvh)
        for i in 0..<t where i >= keyStart[bi] {
          let keys = keyStart[bi]...i
          var scores = keys.map { j -> Double in
            var s = 0.0
            for x in 0..<d { s += Double(q[bi, i, hi * d + x]) * Double(k[bi, j, kh * d + x]) }
            return s / sqrt(Double(d))
          }
          let m = scores.max()!
          scores = scores.map { exp($0 - m) }
          let z = scores.reduce(0, +)
          for x in 0..<d {
            var acc = 0.0
            for (n, j) in keys.enumerated() { acc += scores[n] / z * Double(v[bi, j, kh * d + x]) }
            expected[((bi * t + i) * h + hi) * d + x] = Float(acc)
          }
        }
      }
    }
    #expect(maxDifference(out.scalars, expected) < 1e-5 * queryScale * queryScale)
  }

  /// Sliding window `i − W < j ≤ i` and an explicit score scale, against naive loops.
  @Test func slidingWindowAttentionMatchesNaiveLoops() {
    let (t, d, window, scale) = (6, 4, 3, 0.35)
    let q = randomTensor([1, t, d], seed: 7), k = randomTensor([1, t, d], seed: 8)
    let v = randomTensor([1, t, d], seed: 9)
    let out = Tensor.attention(
      q: q, k: k, v: v, heads: 1, kvHeads: 1,
      mask: AttentionMask(window: window, scale: Float(scale)))
    for i in 0..<t {
      let keys = max(0, i - window + 1)...i
      var scores = keys.map { j -> Double in
        (0..<d).reduce(0.0) { $0 + Double(q[0, i, $1]) * Double(k[0, j, $1]) } * scale
      }
      let m = scores.max()!
      scores = scores.map { exp($0 - m) }
      let z = scores.reduce(0, +)
      for x in 0..<d {
        let expected = zip(keys, scores).reduce(0.0) { $0 + $1.1 / z * Double(v[0, $1.0, x]) }
        #expect(abs(Double(out[0, i, x]) - expected) < 1e-5, "query \(i), dim \(x)")
      }
    }
  }

  /// GELU (tanh) gate by hand: gelu(1) = 0.5·(1 + tanh(0.79788456·1.044715)) = 0.8411920,
  /// gelu(−2) = −0.0454023 (PyTorch's `gelu(approximate="tanh")` gives the same).
  @Test func gegluOfHandValues() {
    let out = Tensor.geglu(Tensor(shape: [1, 4], scalars: [1, -2, 3, 0.5]))
    #expect(abs(out[0, 0] - 0.841_192_0 * 3) < 1e-5)
    #expect(abs(out[0, 1] - -0.045_402_3 * 0.5) < 1e-6)
  }

  @Test func chunkedTargetLogProbsEqualNaiveFullSoftmax() {
    let (n, c, v) = (6, 5, 37)
    let h = randomTensor([n, c], seed: 4)
    let w = randomTensor([v, c], seed: 5)
    let targets = [0, 36, 5, 17, 17, 2]
    // Naive: the full [N, V] logits, log-softmax, pick the target.
    let hv = Variable(h), wv = Variable(w)
    let naive = valueAndGradient(
      of: {
        let logits = matmul(hv, wv, transposeB: true)
        let picked = Tensor(shape: [n, v]) { buf in
          buf.initialize(repeating: 0)
          for (r, t) in targets.enumerated() { buf[r * v + t] = 1 }
        }
        return sum(logSoftmax(logits) * Variable(picked))
      }, wrt: [hv, wv])
    let chunked = valueAndGradient(
      of: {
        sum(targetLogProbs(hidden: hv, weight: wv, targets: targets, chunk: 8))
      }, wrt: [hv, wv])
    #expect(abs(naive.value - chunked.value) < 1e-4)
    #expect(maxDifference(naive.gradients[0], chunked.gradients[0]) < 1e-5)
    #expect(maxDifference(naive.gradients[1], chunked.gradients[1]) < 1e-5)
  }

  @Test func copyOnWriteKeepsValueSemantics() {
    let a = Tensor(shape: [2, 2], scalars: [1, 2, 3, 4])
    var b = a.reshaped([4])
    b[flat: 0] = 9
    #expect(a.scalars == [1, 2, 3, 4])
    #expect(b.scalars == [9, 2, 3, 4])
  }

  @Test func layoutValues() {
    let x = Tensor(shape: [2, 3], scalars: [1, 2, 3, 4, 5, 6])
    #expect(x.transposed(0, 1).scalars == [1, 4, 2, 5, 3, 6])
    #expect(x.slice(alongAxis: 1, 1..<3).scalars == [2, 3, 5, 6])
    #expect(
      Tensor.concatenate([x, x], alongAxis: 1).scalars == [1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6])
  }

  @Test func seededGeneratorIsDeterministic() {
    var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
    #expect((0..<5).map { _ in a.next() } == (0..<5).map { _ in b.next() })
    var c = SeededGenerator(stateWords: a.stateWords)
    #expect(c.next() == a.next())
  }
}
