import WhetNN
import WhetTensor

/// The forward pass for inference: plain tensors (no autodiff tape), keys and values kept in
/// a ``KVCache`` so each new token costs one position, not the whole prefix.
///
/// Computes exactly what ``TransformerDecoder/hiddenStates(tokens:batch:keyStart:)`` computes,
/// which a test checks token by token.
public struct DecoderInference {
  public let model: TransformerDecoder
  /// Packed quantized weights for small batches (see ``PackedWeights``); empty to use Float32.
  public let packed: PackedWeights
  /// Up to this many rows through a layer use the packed weights; beyond, Float32 GEMM wins
  /// (`whet-bench --filter packed` measures the crossover). With the byte-plane VNNI kernel
  /// the two were level at 16–32 rows on Zen 4, and 40 beat 8 on `generate.batch1` (its
  /// 37-token prefill: 80–86 against 72–84 tok/s) and `generate.batch32` (262–308 against
  /// 261–276) in four paired runs.
  public var packedRowLimit = 40
  /// bf16-packed weights (``BF16Weights``), used for products of at least `bf16RowMinimum`
  /// rows; ``Generator`` sets them per call under ``MatMulPrecision/bf16`` on CPUs with
  /// AVX-512 BF16. Below that, decoding reads fewer bytes through the quantized weights.
  public var bf16: BF16Weights?
  public var bf16RowMinimum = 16

  public init(model: TransformerDecoder, packed: PackedWeights = PackedWeights()) {
    self.model = model
    self.packed = packed
  }

  /// Runs `tokens` `[B·T]` (row-major, `T` new tokens per row) through the model, appending
  /// to `cache`, and returns the final hidden states of the last new position `[B, C]`.
  public func forward(tokens: [Int], cache: inout KVCache) -> Tensor {
    let config = model.config
    let b = cache.batch
    precondition(b > 0 && tokens.count % b == 0, "forward: \(tokens.count) tokens for \(b) rows")
    let t = tokens.count / b, c = config.hiddenSize
    let offset = cache.length
    var positions: [Int] = []
    positions.reserveCapacity(b * t)
    for row in 0..<b {
      for i in 0..<t { positions.append(max(0, offset + i - cache.keyStart[row])) }
    }
    let rotary = config.rotaryTable(positions: positions)
    let localRotary = config.localRotaryTable(positions: positions) ?? rotary
    var x = Tensor.gatherRows(model.embedTokens.weight.value, ids: tokens)
    if let scale = config.embeddingScale { x.scale(by: scale) }
    for (l, layer) in model.layers.enumerated() {
      let attention = layer.attention
      let table = layer.sliding ? localRotary : rotary
      let mask = config.attentionMask(
        sliding: layer.sliding, queryOffset: offset, keyStart: cache.keyStart)
      let h = norm(x, layer.inputNorm)
      let qkv = linear(h, [attention.qProj, attention.kProj, attention.vProj])
      let q = Tensor.rope(
        perHead(qkv[0], attention.qNorm, heads: attention.heads), heads: attention.heads,
        table: table)
      let k = Tensor.rope(
        perHead(qkv[1], attention.kNorm, heads: attention.kvHeads), heads: attention.kvHeads,
        table: table)
      let v = qkv[2]
      cache.store(layer: l, k: k, v: v, count: t)
      let y = Tensor.attention(
        q: q.reshaped([b, t, -1]), k: cache.keys[l], v: cache.values[l], heads: attention.heads,
        kvHeads: attention.kvHeads, mask: mask)
      let attended = linear(y.reshaped([b * t, -1]), attention.oProj)
      if let pre = layer.preFeedforwardNorm, let post = layer.postFeedforwardNorm {
        x.add(norm(attended, layer.postAttentionNorm))
        x.add(norm(linear(gatedActivation(norm(x, pre), layer.mlp), layer.mlp.downProj), post))
      } else {
        x.add(attended)
        let h2 = norm(x, layer.postAttentionNorm)
        x.add(linear(gatedActivation(h2, layer.mlp), layer.mlp.downProj))
      }
    }
    cache.advance(by: t)
    // Only the last position of each row is needed for the next token.
    let last = Tensor(shape: [b, c]) { out in
      x.withUnsafeBufferPointer { px in
        for row in 0..<b {
          (out.baseAddress! + row * c).update(
            from: px.baseAddress! + ((row + 1) * t - 1) * c, count: c)
        }
      }
    }
    return Tensor.rmsNorm(last, weight: model.norm.weight.value, epsilon: model.norm.epsilon).output
  }

  /// Next-token logits `[B, V]` from final hidden states `[B, C]`.
  public func logits(hidden: Tensor) -> Tensor {
    if hidden.rowCount >= bf16RowMinimum, let w = bf16?.output {
      return BF16Weights.multiply(hidden, w)
    }
    if hidden.rowCount <= packedRowLimit, let m = packed.output { return m.multiply(hidden) }
    return Tensor.matmul(hidden, model.outputWeight.value, transposeB: true)
  }

  func norm(_ x: Tensor, _ layer: RMSNorm) -> Tensor {
    Tensor.rmsNorm(x, weight: layer.weight.value, epsilon: layer.epsilon).output
  }

  /// `x` `[N, heads·D]` with each head RMS-normalised by `norm` (Qwen3), else unchanged.
  func perHead(_ x: Tensor, _ norm: RMSNorm?, heads: Int) -> Tensor {
    guard let norm else { return x }
    let n = x.rowCount, width = x.lastDimension
    return Tensor.rmsNorm(
      x.reshaped([n * heads, width / heads]), weight: norm.weight.value, epsilon: norm.epsilon
    ).output.reshaped([n, width])
  }

  /// The bf16-packed weights starting with `first`, when they are there and `rows` is enough.
  func bf16Matrix(_ first: Linear, rows: Int) -> BF16Matrix? {
    rows >= bf16RowMinimum ? bf16?.matrix(startingWith: first) : nil
  }

  func linear(_ x: Tensor, _ layer: Linear) -> Tensor {
    if let w = bf16Matrix(layer, rows: x.rowCount) {
      return finish(BF16Weights.multiply(x, w), layer, input: x)
    }
    let y =
      x.rowCount <= packedRowLimit
      ? (packed.matrix(for: layer)?.multiply(x))
        ?? Tensor.matmul(x, layer.weight.value, transposeB: true)
      : Tensor.matmul(x, layer.weight.value, transposeB: true)
    return finish(y, layer, input: x)
  }

  /// The outputs of `group` (layers reading the same `x`), through their stacked packed matrix
  /// when there is one (one product instead of one per layer), else one by one.
  func linear(_ x: Tensor, _ group: [Linear]) -> [Tensor] {
    let y: Tensor
    if let w = bf16Matrix(group[0], rows: x.rowCount) {
      y = BF16Weights.multiply(x, w)
    } else if x.rowCount <= packedRowLimit, let whole = packed.stacked(group) {
      y = whole.multiply(x)
    } else {
      return group.map { linear(x, $0) }
    }
    var column = 0
    return group.map { layer in
      defer { column += layer.outputSize }
      return finish(y.slice(alongAxis: 1, column..<(column + layer.outputSize)), layer, input: x)
    }
  }

  /// `y` plus `layer`'s bias and adapter.
  func finish(_ y: Tensor, _ layer: Linear, input x: Tensor) -> Tensor {
    var y = y
    if let bias = layer.bias { y = Tensor.broadcasting(y, bias.value, +) }
    if let adapter = layer.adapter { y.add(adapter.apply(x)) }
    return y
  }

  /// `silu(x·Wgᵀ) ⊙ (x·Wuᵀ)`, with both products written side by side into one `[N, 2F]`
  /// buffer so the fused SwiGLU kernel reads them without a concatenation.
  func gatedActivation(_ x: Tensor, _ mlp: GatedMLP) -> Tensor {
    let n = x.rowCount, c = x.lastDimension, f = mlp.gateProj.outputSize
    if let w = bf16Matrix(mlp.gateProj, rows: n) {
      return adapted(BF16Weights.multiply(x, w), x, mlp)
    }
    if n <= packedRowLimit, let gateUp = packed.stacked([mlp.gateProj, mlp.upProj]) {
      // Small batch: one packed product writes gate and up side by side.
      return adapted(gateUp.multiply(x), x, mlp)
    }
    if n <= packedRowLimit, packed.matrix(for: mlp.gateProj) != nil {
      let gate = linear(x, mlp.gateProj), up = linear(x, mlp.upProj)
      return Tensor.gated(Tensor.concatenate([gate, up], alongAxis: 1), mlp.activation)
    }
    let gateUp = Tensor(shape: [n, 2 * f]) { out in
      x.withUnsafeBufferPointer { px in
        for (column, layer) in [(0, mlp.gateProj), (f, mlp.upProj)] {
          layer.weight.value.withUnsafeBufferPointer { pw in
            GEMM.product(
              transposeA: false, transposeB: true, m: n, n: f, k: c, a: px.baseAddress!, lda: c,
              b: pw.baseAddress!, ldb: c, c: out.baseAddress! + column, ldc: 2 * f)
          }
        }
      }
    }
    return adapted(gateUp, x, mlp)
  }

  /// The gated activation of `gateUp` `[N, 2F]` (gate and up side by side), adapters' low-rank
  /// terms added into the matching half first.
  func adapted(_ gateUp: Tensor, _ x: Tensor, _ mlp: GatedMLP) -> Tensor {
    guard mlp.gateProj.adapter != nil || mlp.upProj.adapter != nil else {
      return Tensor.gated(gateUp, mlp.activation)
    }
    let n = x.rowCount, f = mlp.gateProj.outputSize
    let deltas = [mlp.gateProj, mlp.upProj].map { $0.adapter?.apply(x) ?? Tensor.zeros([n, f]) }
    return Tensor.gated(
      Tensor.broadcasting(gateUp, Tensor.concatenate(deltas, alongAxis: 1), +), mlp.activation)
  }
}
