import Foundation
import WhetLM
import WhetNN
import WhetTensor

#if canImport(Accelerate)
  import Accelerate
#else
  import CBLAS
#endif

// whet-bench: release-build figures, one JSON object per line:
// {"name": ..., "value": ..., "unit": ..., "config": {...}, "baseline": ..., "ratio": ...}
// Usage: swift run -c release whet-bench [--filter REGEX] [--repeats N]

var filter: String? = nil
var modelPath = LanguageModel.defaultPath  // as `whet` finds it, from any directory
var repeats = 10
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let a = arguments.next() {
  switch a {
  case "--filter": filter = arguments.next()
  case "--repeats": repeats = Int(arguments.next() ?? "") ?? repeats
  case "--model": modelPath = arguments.next() ?? modelPath
  case "--help", "-h":
    print("usage: whet-bench [--filter REGEX] [--repeats N] [--model GGUF]")
    exit(0)
  default:
    FileHandle.standardError.write(Data("unknown argument \(a)\n".utf8))
    exit(2)
  }
}

@MainActor func selected(_ name: String) -> Bool {
  guard let filter else { return true }
  return name.range(of: filter, options: .regularExpression) != nil
}

/// Best wall time of `body` over `repeats` runs after one warm-up.
@MainActor func bestSeconds(_ count: Int? = nil, _ body: () -> Void) -> Double {
  body()
  var best = Double.infinity
  for _ in 0..<(count ?? repeats) {
    let t = DispatchTime.now().uptimeNanoseconds
    body()
    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t) / 1e9)
  }
  return best
}

func emit(
  _ name: String, _ value: Double, unit: String, config: [String: Any], baseline: Double? = nil
) {
  var object: [String: Any] = [
    "name": name, "value": (value * 1000).rounded() / 1000, "unit": unit, "config": config,
  ]
  if let baseline {
    object["baseline"] = (baseline * 1000).rounded() / 1000
    object["ratio"] = (value / baseline * 1000).rounded() / 1000
  }
  let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
  FileHandle.standardOutput.write(data + Data("\n".utf8))
}

func randomTensor(_ shape: [Int], seed: UInt64, std: Float = 1) -> Tensor {
  var rng = SeededGenerator(seed: seed)
  return Tensor.randomNormal(shape, std: std, using: &rng)
}

// The machine, once: the CPU model and the BLAS kernels in use.
do {
  let cpu =
    (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?.split(separator: "\n")
    .first { $0.hasPrefix("model name") }?.split(separator: ":").last?
    .trimmingCharacters(in: .whitespaces) ?? "unknown"
  emit("machine", 0, unit: "", config: ["cpu": cpu, "blas_kernel": BLAS.kernel])
}

// Warm up the BLAS threads and the CPU clock so the first figure is not penalised.
do {
  let a = randomTensor([1024, 1024], seed: 0)
  let start = DispatchTime.now().uptimeNanoseconds
  while DispatchTime.now().uptimeNanoseconds - start < 500_000_000 { _ = Tensor.matmul(a, a) }
}

// MARK: GEMM: our matmul path against a raw cblas_sgemm on the same buffers' shapes.

/// Best seconds of one raw `cblas_sgemm` of `x` `[M, K]` by `wᵀ` (`w` `[N, K]`): the baseline
/// of every GEMM figure.
@MainActor func rawSGEMMSeconds(_ x: Tensor, _ w: Tensor) -> Double {
  let (m, k, n) = (x.shape[0], x.shape[1], w.shape[0])
  var c = [Float](repeating: 0, count: m * n)
  return x.withUnsafeBufferPointer { a in
    w.withUnsafeBufferPointer { b in
      bestSeconds {
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a.baseAddress!,
          Int32(k), b.baseAddress!, Int32(k), 0, &c, Int32(n))
      }
    }
  }
}

for (m, k, n) in [(1024, 576, 1536), (1024, 1536, 576), (1024, 576, 576), (1024, 576, 192)] {
  let name = "gemm.\(m)x\(k)x\(n)"
  guard selected(name) else { continue }
  let x = Variable(randomTensor([m, k], seed: 1))
  let w = Variable(randomTensor([n, k], seed: 2))  // PyTorch layout [out, in], used as Wᵀ
  let flops = 2.0 * Double(m * k * n)
  let ours = bestSeconds { _ = matmul(x, w, transposeB: true) }
  let raw = rawSGEMMSeconds(x.value, w.value)
  emit(
    name, flops / ours / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "path": "matmul(x, W, transposeB)"],
    baseline: flops / raw / 1e9)
}

// bf16 products (packing both operands included, and with the weight packed once) against
// OpenBLAS's fp32 sgemm on the same shapes: the arithmetic-rate limit of the `.bf16` figures.
for (m, k, n) in [(1024, 576, 1536), (1024, 1536, 576), (32, 576, 1536)] {
  let name = "gemm.bf16.\(m)x\(k)x\(n)"
  guard selected(name), MixedPrecision.hardwareBF16 else { continue }
  let x = randomTensor([m, k], seed: 1), w = randomTensor([n, k], seed: 2)
  let flops = 2.0 * Double(m * k * n)
  var c = [Float](repeating: 0, count: m * n)
  let packed = BF16Matrix(weight: w)
  let (bf16, prepacked) = x.withUnsafeBufferPointer { a in
    w.withUnsafeBufferPointer { b in
      (
        bestSeconds {
          BF16GEMM.product(
            transposeA: false, transposeB: true, m: m, n: n, k: k, a: a.baseAddress!, lda: k,
            b: b.baseAddress!, ldb: k, c: &c, ldc: n)
        },
        bestSeconds {
          BF16GEMM.multiply(m: m, a: a.baseAddress!, lda: k, b: packed, c: &c, ldc: n)
        }
      )
    }
  }
  let raw = rawSGEMMSeconds(x, w)
  emit(
    name, flops / bf16 / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "path": "BF16GEMM.product, both operands packed per call"],
    baseline: flops / raw / 1e9)
  emit(
    name + ".prepacked", flops / prepacked / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "path": "BF16GEMM.multiply, weight packed once"],
    baseline: flops / raw / 1e9)
}

// The vocabulary projection in 4096-wide chunks (as the chunked log-prob op runs it),
// against one raw GEMM that writes all [1024, 49152] logits at once.
if selected("gemm.1024x576x49152") {
  let (m, k, n, chunk) = (1024, 576, 49152, defaultVocabularyChunk)
  let h = randomTensor([m, k], seed: 3), w = randomTensor([n, k], seed: 4)
  let flops = 2.0 * Double(m * k * n)
  var chunkBuffer = [Float](repeating: 0, count: m * chunk)
  let ours = h.withUnsafeBufferPointer { a in
    w.withUnsafeBufferPointer { b in
      bestSeconds {
        for start in stride(from: 0, to: n, by: chunk) {
          BLAS.gemm(
            transposeA: false, transposeB: true, m: m, n: chunk, k: k, a: a.baseAddress!, lda: k,
            b: b.baseAddress! + start * k, ldb: k, c: &chunkBuffer, ldc: chunk)
        }
      }
    }
  }
  let raw = rawSGEMMSeconds(h, w)
  emit(
    "gemm.1024x576x49152", flops / ours / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "chunk": chunk], baseline: flops / raw / 1e9)
}

// MARK: Packed 4- and 8-bit matrix-vector products (batch-1 decoding), against Float32 GEMV.

for (type, rows, columns, batch) in [
  (GGMLType.q4_1, 1536, 576, 1), (.q4_1, 576, 1536, 1), (.q8_0, 49152, 576, 1),
  (.q4_1, 1536, 576, 4),
  (.q4_1, 1536, 576, 8), (.q4_1, 1536, 576, 16), (.q4_1, 1536, 576, 32), (.q4_1, 576, 1536, 32),
  (.q8_0, 49152, 576, 8), (.q8_0, 49152, 576, 32),
] {
  let name =
    "packed.\(type.name.lowercased()).\(rows)x\(columns)" + (batch > 1 ? ".batch\(batch)" : "")
  guard selected(name) else { continue }
  var rng = SeededGenerator(seed: 21)
  let blocks = rows * columns / 32
  var bytes = (0..<(blocks * type.bytesPerBlock)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
  for b in 0..<blocks {  // finite scales
    bytes[b * type.bytesPerBlock] = 0
    bytes[b * type.bytesPerBlock + 1] = 0x20
  }
  let packed = bytes.withUnsafeBytes {
    PackedMatrix(type: type, source: $0.baseAddress!, rows: rows, columns: columns)!
  }
  let dense = randomTensor([rows, columns], seed: 22)
  let x = randomTensor([batch, columns], seed: 23)
  let flops = 2.0 * Double(rows * columns * batch)
  let ours = bestSeconds(50) { _ = packed.multiply(x) }
  let fp32 = bestSeconds(50) { _ = Tensor.matmul(x, dense, transposeB: true) }
  emit(
    name, flops / ours / 1e9, unit: "GFLOP/s",
    config: ["rows": rows, "columns": columns, "batch": batch], baseline: flops / fp32 / 1e9)
}

// MARK: Label models on 1,000,000 items × 20 sources (LabelModelBenchmarks.swift).

if ["labelmodel", "weaver"].contains(where: selected) {
  labelModelBenchmarks { name, value, unit, config in
    if selected(name) { emit(name, value, unit: unit, config: config) }
  }
}

// MARK: One SmolLM2-sized decoder block at batch 8 × 128.

let blockConfig = TransformerConfiguration(
  vocabularySize: 49152, hiddenSize: 576, layerCount: 1, heads: 9, kvHeads: 3,
  intermediateSize: 1536, ropeTheta: 100_000)
if selected("block.forward") || selected("block.forward_backward") {
  var rng = SeededGenerator(seed: 7)
  let block = DecoderBlock(blockConfig, rng: &rng)
  let (b, t) = (8, 128)
  let x = Variable(randomTensor([b * t, 576], seed: 8))
  let context = DecoderContext(batch: b, length: t, headDimension: 64, ropeTheta: 100_000)
  let config: [String: Any] = [
    "batch": b, "seq": t, "hidden": 576, "heads": 9, "kv_heads": 3, "ffn": 1536,
  ]
  if selected("block.forward") {
    let s = bestSeconds { _ = block(x, context: context) }
    emit("block.forward", Double(b * t) / s, unit: "tokens/s", config: config)
  }
  if selected("block.forward_backward") {
    let params = block.parameters + [x]
    let s = bestSeconds {
      _ = valueAndGradient(of: { mean(block(x, context: context)) }, wrt: params)
    }
    emit("block.forward_backward", Double(b * t) / s, unit: "tokens/s", config: config)
  }
}

// MARK: Attention alone at a long sequence: time and peak memory of forward + backward.

if selected("attention.forward_backward") {
  // One SmolLM2 layer's attention (9 heads over 3 kv heads of 64) at B=1, T=2048: the
  // probabilities would be 9 × 2048² floats (151 MB) if they were kept for the backward pass.
  let (b, t, h, kv, d) = (1, 2048, 9, 3, 64)
  let q = Variable(randomTensor([b, t, h * d], seed: 31))
  let k = Variable(randomTensor([b, t, kv * d], seed: 32))
  let v = Variable(randomTensor([b, t, kv * d], seed: 33))
  let before = AllocationStatistics.liveBytes
  AllocationStatistics.resetPeak()
  let s = bestSeconds(3) {
    _ = valueAndGradient(
      of: { mean(attention(q: q, k: k, v: v, heads: h, kvHeads: kv)) }, wrt: [q, k, v])
  }
  let config: [String: Any] = ["batch": b, "seq": t, "heads": h, "kv_heads": kv, "head_dim": d]
  emit("attention.forward_backward", Double(b * t) / s, unit: "tokens/s", config: config)
  emit(
    "attention.forward_backward.peak_memory",
    Double(AllocationStatistics.peakBytes - before) / 1e6, unit: "MB",
    config: config.merging(["note": "inputs excluded; baseline: the [B, H, T, T] probabilities"]) {
      a, _ in a
    }, baseline: Double(b * h * t * t * 4) / 1e6)
}

// MARK: Chunked target log-probs: time and peak memory at B=8, T=128, V=49152.

if selected("logprobs.chunked") {
  let (n, c, v) = (8 * 128, 576, 49152)
  let h = Variable(randomTensor([n, c], seed: 9))
  let w = Variable(randomTensor([v, c], seed: 10, std: 0.05))
  var rng = SeededGenerator(seed: 11)
  let targets = (0..<n).map { _ in Int(rng.next() % UInt64(v)) }
  let config: [String: Any] = ["B": 8, "T": 128, "V": v, "C": c, "chunk": defaultVocabularyChunk]
  // Peak bytes of tensors and workspaces allocated while the op runs, above its inputs
  // (counted by AllocationStatistics), against the one [B, T, V] float tensor avoided.
  var before = AllocationStatistics.liveBytes
  AllocationStatistics.resetPeak()
  _ = targetLogProbs(hidden: h, weight: w, targets: targets)
  let forwardPeak = AllocationStatistics.peakBytes - before
  let s = bestSeconds { _ = targetLogProbs(hidden: h, weight: w, targets: targets) }
  emit("logprobs.chunked.forward", Double(n) / s, unit: "tokens/s", config: config)
  emit(
    "logprobs.chunked.forward.peak_memory", Double(forwardPeak) / 1e6, unit: "MB", config: config,
    baseline: Double(n * v * 4) / 1e6)
  // Forward + backward to the hidden states only (the weight frozen, as with LoRA).
  before = AllocationStatistics.liveBytes
  AllocationStatistics.resetPeak()
  _ = valueAndGradient(
    of: { sum(targetLogProbs(hidden: h, weight: w, targets: targets)) }, wrt: [h])
  let backwardPeak = AllocationStatistics.peakBytes - before
  emit(
    "logprobs.chunked.forward_backward.peak_memory", Double(backwardPeak) / 1e6, unit: "MB",
    config: config, baseline: Double(n * v * 4) / 1e6)
}

// MARK: The default model (SmolLM2-135M-Instruct): forward, forward+backward, generation.

let modelFigures = [
  "model.forward", "model.forward_backward", "model.forward.bf16", "model.forward_backward.bf16",
  "model.forward_backward.checkpointed",
  "generate.batch1", "generate.batch1.tg128", "generate.batch8",
  "generate.batch32", "generate.batch32.bf16",
]
if modelFigures.contains(where: selected) {
  do {
    let loadStart = DispatchTime.now().uptimeNanoseconds
    let file = try GGUFFile(contentsOf: URL(fileURLWithPath: modelPath))
    let model = try GGUFModelLoader.decoder(from: file)
    let loadSeconds = Double(DispatchTime.now().uptimeNanoseconds - loadStart) / 1e9
    emit("model.load", loadSeconds, unit: "s", config: ["model": modelPath])
    let (b, t) = (8, 128)
    var rng = SeededGenerator(seed: 12)
    let tokens = (0..<(b * t)).map { _ in 3 + Int(rng.next() % 49000) }
    let targets = tokens.indices.map { $0 % t == t - 1 ? -1 : tokens[$0 + 1] }
    let config: [String: Any] = ["batch": b, "seq": t, "model": "SmolLM2-135M-Instruct"]
    let modelRepeats = max(2, repeats / 3)
    // Each figure in fp32 and, as `.bf16`, with bf16 products and fp32 accumulation; the
    // step also with gradient checkpointing (`.checkpointed`).
    let variants: [(suffix: String, precision: MatMulPrecision, checkpointing: Bool)] = [
      ("", .fp32, false), (".bf16", .bf16, false), (".checkpointed", .fp32, true),
    ]
    for (suffix, precision, checkpointing) in variants {
      let precisionConfig = config.merging([
        "precision": precision.rawValue,
        "bf16_instructions": precision == .bf16 && MixedPrecision.hardwareBF16,
        "gradient_checkpointing": checkpointing,
      ]) { a, _ in a }
      if !checkpointing, selected("model.forward\(suffix)") {
        // Forward with the target log-probs of every position (the scoring forward), no tape.
        let s = MixedPrecision.with(precision) {
          bestSeconds(modelRepeats) {
            _ = model.targetLogProbs(tokens: tokens, targets: targets, batch: b)
          }
        }
        emit("model.forward\(suffix)", Double(b * t) / s, unit: "tokens/s", config: precisionConfig)
      }
      if selected("model.forward_backward\(suffix)") {
        let params = model.parameters
        AllocationStatistics.resetPeak()
        let before = AllocationStatistics.liveBytes
        let s = MixedPrecision.with(precision) {
          GradientCheckpointing.with(checkpointing) {
            bestSeconds(modelRepeats) {
              _ = valueAndGradient(
                of: { languageModelLoss(model, tokens: tokens, targets: targets, batch: b) },
                wrt: params)
            }
          }
        }
        emit(
          "model.forward_backward\(suffix)", Double(b * t) / s, unit: "tokens/s",
          config: precisionConfig)
        emit(
          "model.forward_backward\(suffix).peak_memory",
          Double(AllocationStatistics.peakBytes - before) / 1e6, unit: "MB",
          config: precisionConfig.merging([
            "note": "tensors allocated during the step above the loaded weights"
          ]) { a, _ in a })
      }
    }
    // Generation: a 37-token chat prompt, 64 new tokens forced (no stop token), greedy.
    let prompt = [
      1, 9690, 198, 2683, 359, 253, 5356, 5646, 11173, 3365, 3511, 308, 34519, 28, 7018, 411, 407,
      19712, 8182, 2, 198, 1, 4093, 198, 1780, 314, 260, 3575, 282, 4649, 47, 2, 198, 1, 520, 9531,
      198,
    ]
    let packed = try PackedWeights.fromGGUF(file, model: model)
    let generator = Generator(model: model, packed: packed, stopTokens: []) { _ in "" }
    let generation: [(batch: Int, precision: MatMulPrecision)] = [
      (1, .fp32), (8, .fp32), (32, .fp32), (32, .bf16),
    ]
    for (batch, precision) in generation {
      let name = "generate.batch\(batch)" + (precision == .bf16 ? ".bf16" : "")
      guard selected(name) else { continue }
      let prompts = (0..<batch).map { i in Array(prompt.prefix(prompt.count - i % 5)) }
      let newTokens = 64
      let s = MixedPrecision.with(precision) {
        bestSeconds(max(1, repeats / 5)) {
          _ = try? generator.generate(prompts: prompts, parameters: .greedy(maxTokens: newTokens))
        }
      }
      emit(
        name, Double(batch * newTokens) / s, unit: "tokens/s",
        config: [
          "batch": batch, "prompt_tokens": prompt.count, "new_tokens": newTokens,
          "sampling": "greedy", "includes": "prefill", "precision": precision.rawValue,
        ])
    }
    // llama.cpp's tg128 shape: from an empty cache, one start token, 128 tokens decoded one
    // at a time (no prompt to prefill).
    if selected("generate.batch1.tg128") {
      let newTokens = 128
      let s = bestSeconds(max(1, repeats / 5)) {
        _ = try? generator.generate(prompts: [[1]], parameters: .greedy(maxTokens: newTokens))
      }
      emit(
        "generate.batch1.tg128", Double(newTokens) / s, unit: "tokens/s",
        config: [
          "batch": 1, "prompt_tokens": 1, "new_tokens": newTokens, "sampling": "greedy",
          "precision": "fp32",
        ])
    }
  } catch {
    FileHandle.standardError.write(Data("whet-bench: \(error)\n".utf8))
    exit(1)
  }
}

// MARK: Local judge scoring throughput (JudgeBenchmarks.swift).

if ["judge.local_yes", "judge.local_yes.bf16", "judge.local_additive"].contains(where: selected) {
  do {
    try judgeBenchmarks(modelPath: modelPath, include: { selected($0) }) {
      name, value, unit, config in
      if selected(name) { emit(name, value, unit: unit, config: config) }
    }
  } catch {
    FileHandle.standardError.write(Data("whet-bench: \(error)\n".utf8))
    exit(1)
  }
}

// MARK: Training steps (TrainBenchmarks.swift).

if ["train.dpo.step", "train.dpo.step.lora", "train.sft.step"].contains(where: selected) {
  do {
    try trainBenchmarks(modelPath: modelPath)
  } catch {
    FileHandle.standardError.write(Data("whet-bench: \(error)\n".utf8))
    exit(1)
  }
}

// MARK: Online RL steps (RLBenchmarks.swift).

if ["train.grpo.step", "train.grpo.step.lora"].contains(where: selected) {
  do {
    let names = Set(["train.grpo.step", "train.grpo.step.lora"].filter(selected))
    for (name, value, unit, config) in try await rlBenchmarks(modelPath: modelPath, names: names) {
      emit(name, value, unit: unit, config: config)
    }
  } catch {
    FileHandle.standardError.write(Data("whet-bench: \(error)\n".utf8))
    exit(1)
  }
}
