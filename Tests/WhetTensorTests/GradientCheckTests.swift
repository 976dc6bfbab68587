import TestSupport
import Testing
import WhetTensor

/// A finite-difference check (loss and differences in Double) for every op with a backward.
@Suite struct GradientCheckTests {
  func expectGradients(
    _ inputs: [Tensor], epsilon: Float = 1e-2, _ f: @escaping ([Variable]) -> Variable,
    sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let result = checkGradients(inputs, epsilon: epsilon, f)
    #expect(result.passed, "\(result)", sourceLocation: sourceLocation)
  }

  @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
  func matmul2D(transposeA: Bool, transposeB: Bool) {
    let a = randomTensor(transposeA ? [4, 3] : [3, 4], seed: 1)
    let b = randomTensor(transposeB ? [5, 4] : [4, 5], seed: 2)
    expectGradients([a, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
  }

  @Test(arguments: [(false, false), (true, true)])
  func matmulBatched(transposeA: Bool, transposeB: Bool) {
    let a = randomTensor(transposeA ? [2, 4, 3] : [2, 3, 4], seed: 3)
    let b = randomTensor(transposeB ? [2, 5, 4] : [2, 4, 5], seed: 4)
    expectGradients([a, b]) { matmul($0[0], $0[1], transposeA: transposeA, transposeB: transposeB) }
  }

  @Test func matmulFoldedBatch() {
    expectGradients([randomTensor([2, 3, 4], seed: 5), randomTensor([6, 4], seed: 6)]) {
      matmul($0[0], $0[1], transposeB: true)
    }
  }

  @Test func arithmeticWithBroadcasting() {
    let a = randomTensor([2, 3, 4], seed: 7)
    let b = randomTensor([3, 1], seed: 8)
    let positive = randomTensor([4], seed: 9).map { abs($0) + 0.5 }
    expectGradients([a, b]) { $0[0] + $0[1] }
    expectGradients([a, b]) { $0[0] - $0[1] }
    expectGradients([a, b]) { $0[0] * $0[1] }
    expectGradients([a, positive]) { $0[0] / $0[1] }
    expectGradients([a]) { $0[0] * 1.5 + 2 }
    expectGradients([a]) { -$0[0] }
  }

  @Test func unaryFunctions() {
    let x = randomTensor([3, 5], seed: 10)
    let positive = x.map { abs($0) + 0.5 }
    // Keep ReLU's inputs away from its kink, where a central difference is meaningless.
    let awayFromZero = x.map { $0 >= 0 ? $0 + 0.1 : $0 - 0.1 }
    expectGradients([x]) { exp($0[0]) }
    expectGradients([positive]) { log($0[0]) }
    expectGradients([positive]) { sqrt($0[0]) }
    expectGradients([positive]) { rsqrt($0[0]) }
    expectGradients([x]) { square($0[0]) }
    expectGradients([x]) { sigmoid($0[0]) }
    expectGradients([x.map { $0 * 8 }]) { logSigmoid($0[0]) }
    expectGradients([x]) { silu($0[0]) }
    expectGradients([awayFromZero]) { relu($0[0]) }
  }

  @Test func swigluFused() {
    expectGradients([randomTensor([4, 6], seed: 12)]) { swiglu($0[0]) }
  }

  @Test func reductions() {
    let x = randomTensor([2, 3, 4], seed: 13)
    // Distinct values 0.1 apart, shuffled, so a ±ε step never changes which element is max.
    var rng = SeededGenerator(seed: 30)
    let spaced = Tensor(
      shape: [2, 3, 4], scalars: (0..<24).map { Float($0) * 0.1 }.shuffled(using: &rng))
    for axis in 0..<3 {
      expectGradients([x]) { sum($0[0], alongAxis: axis) }
      expectGradients([x]) { mean($0[0], alongAxis: axis, keepingDimension: true) }
      expectGradients([spaced]) { max($0[0], alongAxis: axis) }
    }
    expectGradients([x]) { sum($0[0]) }
    expectGradients([x]) { mean($0[0]) }
  }

  @Test func softmaxes() {
    let x = randomTensor([3, 7], seed: 14, std: 2)
    expectGradients([x]) { softmax($0[0]) }
    expectGradients([x]) { logSoftmax($0[0]) }
  }

  @Test func rmsNormInputAndWeight() {
    let x = randomTensor([4, 8], seed: 15)
    let w = randomTensor([8], seed: 16).map { $0 + 1 }
    expectGradients([x, w]) { rmsNorm($0[0], weight: $0[1], epsilon: 1e-5) }
  }

  @Test func rotaryEmbedding() {
    // 2 rows × 3 tokens, 2 heads of dim 8, rotating only the first 6 dims of each head.
    let table = RotaryTable(positions: [0, 1, 2, 5, 6, 7], rotaryDimension: 6, theta: 100)
    expectGradients([randomTensor([2, 3, 16], seed: 17)]) {
      rope(reshape($0[0], [6, 16]), heads: 2, table: table)
    }
  }

  @Test func embeddingScatterAdd() {
    // Repeated ids must accumulate.
    expectGradients([randomTensor([5, 3], seed: 18)]) { embedding($0[0], ids: [4, 0, 4, 2]) }
  }

  @Test func groupedQueryAttention() {
    // B=2, T=4, 4 query heads over 2 kv heads, D=3; row 1 is left-padded by one token.
    let q = randomTensor([2, 4, 12], seed: 19)
    let k = randomTensor([2, 4, 6], seed: 20)
    let v = randomTensor([2, 4, 6], seed: 21)
    expectGradients([q, k, v]) {
      attention(
        q: $0[0], k: $0[1], v: $0[2], heads: 4, kvHeads: 2, mask: AttentionMask(keyStart: [0, 1]))
    }
  }

  /// Head size 64 takes the register-resident row loops (`AttentionRow`).
  @Test func attentionWithHeadSize64() {
    let q = randomTensor([1, 3, 128], seed: 45)
    let k = randomTensor([1, 3, 64], seed: 46)
    let v = randomTensor([1, 3, 64], seed: 47)
    expectGradients([q, k, v]) {
      attention(q: $0[0], k: $0[1], v: $0[2], heads: 2, kvHeads: 1, mask: AttentionMask())
    }
  }

  @Test func slidingWindowAttentionWithItsOwnScale() {
    let q = randomTensor([2, 5, 12], seed: 41)
    let k = randomTensor([2, 5, 6], seed: 42)
    let v = randomTensor([2, 5, 6], seed: 43)
    expectGradients([q, k, v]) {
      attention(
        q: $0[0], k: $0[1], v: $0[2], heads: 4, kvHeads: 2,
        mask: AttentionMask(keyStart: [0, 1], window: 2, scale: 0.3))
    }
  }

  /// A checkpointed segment (norm, product with a parameter, SwiGLU) against finite
  /// differences: gradients reach the input and the parameter through the recomputation.
  @Test func gradientCheckpointedSegment() {
    let x = randomTensor([3, 4], seed: 48), w = randomTensor([8, 4], seed: 49)
    let norm = Variable(randomTensor([4], seed: 50))
    expectGradients([x, w]) { v in
      gradientCheckpoint(v[0], tracking: [v[1]]) { input in
        gated(matmul(rmsNorm(input, weight: norm, epsilon: 1e-5), v[1], transposeB: true), .silu)
      } * 1.5
    }
  }

  /// The segment runs twice: first with nothing recorded (its results untracked although the
  /// parameter is tracked), then in the backward pass with recording on.
  @Test func checkpointedSegmentRecordsOnlyWhenRecomputed() {
    let x = Variable(randomTensor([2, 4], seed: 53)), w = Variable(randomTensor([4, 4], seed: 54))
    var tracked: [Bool] = []
    _ = valueAndGradient(
      of: {
        sum(
          gradientCheckpoint(x, tracking: [w]) { input in
            let y = matmul(input, w)
            tracked.append(y.isTracked)
            return y
          })
      }, wrt: [w])
    #expect(tracked == [false, true])
  }

  /// Nested segments, and an untracked input whose tape is found through the parameter.
  @Test func nestedCheckpointsWithUntrackedInput() {
    let x = Variable(randomTensor([2, 4], seed: 51))
    let w = Variable(randomTensor([4, 4], seed: 52))
    let result = checkParameterGradients([w]) {
      sum(
        gradientCheckpoint(x, tracking: [w]) { input in
          let inner = gradientCheckpoint(input, tracking: [w]) { matmul($0, w, transposeB: true) }
          return gated(concatenate([inner, matmul(inner, w)], alongAxis: 1), .silu)
        })
    }
    #expect(result.passed, "\(result)")
  }

  @Test func gegluFused() {
    expectGradients([randomTensor([4, 6], seed: 44)]) { geglu($0[0]) }
  }

  @Test func attentionWithCachedKeys() {
    // Two new queries attend over six keys, four of which came before them (a KV cache).
    let q = randomTensor([1, 2, 4], seed: 22)
    let k = randomTensor([1, 6, 2], seed: 23)
    let v = randomTensor([1, 6, 2], seed: 24)
    expectGradients([q, k, v]) {
      attention(
        q: $0[0], k: $0[1], v: $0[2], heads: 2, kvHeads: 1, mask: AttentionMask(queryOffset: 4))
    }
  }

  @Test func chunkedTargetLogProbs() {
    // V = 11 in chunks of 4 (the last chunk is short); one ignored target.
    let h = randomTensor([5, 6], seed: 25)
    let w = randomTensor([11, 6], seed: 26)
    expectGradients([h, w]) {
      targetLogProbs(hidden: $0[0], weight: $0[1], targets: [3, 10, -1, 0, 7], chunk: 4)
    }
  }

  @Test func maskedMeanSkipsMaskedEntries() {
    let mask = Tensor(shape: [2, 3], scalars: [1, 1, 0, 0, 1, 1])
    expectGradients([randomTensor([2, 3], seed: 27)]) { maskedMean($0[0], mask: mask) }
  }

  @Test func layoutOps() {
    let x = randomTensor([2, 3, 4], seed: 28)
    let y = randomTensor([2, 2, 4], seed: 29)
    expectGradients([x]) { reshape($0[0], [6, 4]) }
    expectGradients([x, y]) { concatenate([$0[0], $0[1]], alongAxis: 1) }
    expectGradients([x]) { slice($0[0], alongAxis: 2, 1..<3) }
    expectGradients([x]) { split($0[0], sizes: [1, 2], alongAxis: 1)[1] }
    expectGradients([x]) { transpose($0[0], 0, 2) }
  }
}
