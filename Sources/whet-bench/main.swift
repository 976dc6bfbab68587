import Foundation
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
var repeats = 10
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let a = arguments.next() {
  switch a {
  case "--filter": filter = arguments.next()
  case "--repeats": repeats = Int(arguments.next() ?? "") ?? repeats
  case "--help", "-h":
    print("usage: whet-bench [--filter REGEX] [--repeats N]")
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
@MainActor func bestSeconds(_ body: () -> Void) -> Double {
  body()
  var best = Double.infinity
  for _ in 0..<repeats {
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

// Warm up the BLAS threads and the CPU clock so the first figure is not penalised.
do {
  let a = randomTensor([1024, 1024], seed: 0)
  let start = DispatchTime.now().uptimeNanoseconds
  while DispatchTime.now().uptimeNanoseconds - start < 500_000_000 { _ = Tensor.matmul(a, a) }
}

// MARK: GEMM: our matmul path against a raw cblas_sgemm on the same buffers' shapes.

for (m, k, n) in [(1024, 576, 1536), (1024, 1536, 576), (1024, 576, 576), (1024, 576, 192)] {
  let name = "gemm.\(m)x\(k)x\(n)"
  guard selected(name) else { continue }
  let x = Variable(randomTensor([m, k], seed: 1))
  let w = Variable(randomTensor([n, k], seed: 2))  // PyTorch layout [out, in], used as Wᵀ
  let flops = 2.0 * Double(m * k * n)
  let ours = bestSeconds { _ = matmul(x, w, transposeB: true) }
  var c = [Float](repeating: 0, count: m * n)
  let raw = x.value.withUnsafeBufferPointer { a in
    w.value.withUnsafeBufferPointer { b in
      bestSeconds {
        cblas_sgemm(
          CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1, a.baseAddress!,
          Int32(k), b.baseAddress!, Int32(k), 0, &c, Int32(n))
      }
    }
  }
  emit(
    name, flops / ours / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "path": "matmul(x, W, transposeB)"],
    baseline: flops / raw / 1e9)
}

// The vocabulary projection in 4096-wide chunks (as the chunked log-prob op runs it),
// against one raw GEMM that writes all [1024, 49152] logits at once.
if selected("gemm.1024x576x49152") {
  let (m, k, n, chunk) = (1024, 576, 49152, defaultVocabularyChunk)
  let h = randomTensor([m, k], seed: 3), w = randomTensor([n, k], seed: 4)
  let flops = 2.0 * Double(m * k * n)
  var chunkBuffer = [Float](repeating: 0, count: m * chunk)
  var full = [Float](repeating: 0, count: m * n)
  let (ours, raw) = h.withUnsafeBufferPointer { a in
    w.withUnsafeBufferPointer { b in
      (
        bestSeconds {
          for start in stride(from: 0, to: n, by: chunk) {
            BLAS.gemm(
              transposeA: false, transposeB: true, m: m, n: chunk, k: k, a: a.baseAddress!, lda: k,
              b: b.baseAddress! + start * k, ldb: k, c: &chunkBuffer, ldc: chunk)
          }
        },
        bestSeconds {
          cblas_sgemm(
            CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(n), Int32(k), 1,
            a.baseAddress!,
            Int32(k), b.baseAddress!, Int32(k), 0, &full, Int32(n))
        }
      )
    }
  }
  emit(
    "gemm.1024x576x49152", flops / ours / 1e9, unit: "GFLOP/s",
    config: ["m": m, "k": k, "n": n, "chunk": chunk], baseline: flops / raw / 1e9)
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
