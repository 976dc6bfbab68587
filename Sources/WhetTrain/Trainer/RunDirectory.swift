import Foundation
import WhetData
import WhetLM
import WhetNN
import WhetTensor

/// A run directory's files, shared by the offline and online loops: `metrics.jsonl` (one
/// JSON object per line, each with its `step`) and `checkpoints/step-N.safetensors`, the
/// newest ``kept`` of them.
public struct RunDirectory {
  public let url: URL
  /// Checkpoints kept on disk (the newest ones).
  public var kept = 2

  public init(_ url: URL) { self.url = url }

  public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
  var checkpoints: URL { url.appendingPathComponent("checkpoints") }

  func checkpoint(step: Int) -> URL {
    checkpoints.appendingPathComponent(String(format: "step-%06d.safetensors", step))
  }

  /// The newest checkpoint, if any.
  public func latestCheckpoint() -> (step: Int, url: URL)? {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
    let steps = names.compactMap { name -> Int? in
      guard name.hasPrefix("step-"), name.hasSuffix(".safetensors") else { return nil }
      return Int(name.dropFirst(5).dropLast(12))
    }
    return steps.max().map { ($0, checkpoint(step: $0)) }
  }

  /// Loads the newest checkpoint into `parameters` and `optimizer` and drops metric lines
  /// written after it; nil when there is none (the run then starts afresh).
  func resume(parameters: [(name: String, variable: Variable)], optimizer: AdamW) throws
    -> (state: TrainingState, path: String)?
  {
    guard let latest = latestCheckpoint() else { return nil }
    let state = try Checkpoint.load(from: latest.url, into: parameters, optimizer: optimizer)
    guard state.step == latest.step else {
      throw TrainerError.resume("\(latest.url.path) holds step \(state.step)")
    }
    try truncateMetrics(after: state.step)
    return (state, latest.url.path)
  }

  /// Prepares a run: the directory made, and for a fresh run the old metrics removed.
  func start(fresh: Bool) throws {
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    if fresh, FileManager.default.fileExists(atPath: metrics.path) {
      try FileManager.default.removeItem(at: metrics)
    }
  }

  /// Writes a checkpoint atomically and deletes all but the newest ``kept``.
  func save(
    step: Int, parameters: [(name: String, variable: Variable)], optimizer: AdamW,
    state: TrainingState
  ) throws -> String {
    let url = checkpoint(step: step)
    try Checkpoint.save(to: url, parameters: parameters, optimizer: optimizer, state: state)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: checkpoints.path)) ?? []
    let old = names.filter { $0.hasPrefix("step-") && $0.hasSuffix(".safetensors") }.sorted()
      .dropLast(kept)
    for name in old {
      try? FileManager.default.removeItem(at: checkpoints.appendingPathComponent(name))
    }
    return url.path
  }

  /// Drops metric lines of steps after `step` (written after the checkpoint a run resumes from).
  func truncateMetrics(after step: Int) throws {
    guard FileManager.default.fileExists(atPath: metrics.path) else { return }
    let rows = try JSONLReader.readAll(metrics)
    let kept = rows.filter { ($0["step"]?.numberValue ?? 0) <= Double(step) }
    let text = kept.map(JSONLWriter.line).joined()
    try AtomicFile.write(Data(text.utf8), to: metrics)
  }

  /// A metrics line: the step and each value.
  static func line(step: Int, _ metrics: [String: Float]) -> [String: JSONValue] {
    var line: [String: JSONValue] = ["step": .number(Double(step))]
    for (name, value) in metrics { line[name] = .number(Double(value)) }
    return line
  }
}
