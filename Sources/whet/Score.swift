import ArgumentParser
import Foundation
import WhetData
import WhetEval
import WhetLM
import WhetRewards
import WhetTensor

/// `whet score`: scores every candidate row with several reward sources.
struct ScoreCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "score",
    abstract:
      "Score each row (`prompt`, `completion`, extra columns) with reward sources; adds a `scores` object."
  )

  @Option(help: "Input JSONL with `prompt` and `completion`.") var data: String
  @Option(
    name: .customLong("source"),
    help: """
      A reward source (repeatable): a verifier (\(VerifierRegistry.validNames.joined(separator: ", "))), \
      a model score (logprob, mean-logprob, self-certainty, laser), answer agreement with the \
      other candidates of the query (agreement), a judge (judge:local, judge:local:yes, \
      judge:http, judge:http:yes), or a reward model or scorer (rm:DIR from `whet train rm`, \
      or rm:FILE.safetensors, a head on --model).
      """)
  var sources: [String] = []
  @Option(help: "Model for model scores and local judges (default: the default model).") var model:
    String?
  @Option(help: "A LoRA adapter directory (PEFT layout) applied to --model.") var adapter: String?
  @Flag(
    inversion: .prefixedNo,
    help: "Render prompts through the chat template for model scores and reward models.")
  var chat = true
  @Option(help: "Base URL of an OpenAI-compatible endpoint for judge:http (…/v1).") var judgeURL:
    String?
  @Option(help: "Model name sent to the HTTP judge.") var judgeModel = "default"
  @Option(
    help: "A judge prompt template file overriding the bundled one ({{prompt}}, {{completion}}).")
  var judgeTemplate: String?
  @Option(help: "Seconds before an HTTP judge request times out.") var judgeTimeout: Double = 60
  @Option(help: "Rows handed to a source at once.") var batchSize = 64
  @Option(help: "Score range of the pointwise judge, LOW:HIGH (others abstain).") var judgeRange =
    "0:5"
  @Flag(help: "Refuse to run untrusted code (the code source) without namespace isolation.")
  var requireIsolation = false
  @Flag(help: "Run untrusted code without namespaces even where they exist (for comparison).")
  var unisolated = false

  @Flag(
    help:
      "Local models (judges, reward models) run their matrix products in bf16 with fp32 accumulation."
  )
  var bf16 = false

  func run() async throws {
    try await MixedPrecision.$matmul.withValue(bf16 ? .bf16 : .fp32) { try await score() }
  }

  func score() async throws {
    guard !sources.isEmpty else { throw ValidationError("give at least one --source") }
    let rows = try readRows(data, strings: ["prompt", "completion"])
    let items = rows.map { row in
      var columns: [String: String] = [:]
      for (k, v) in row where k != "prompt" && k != "completion" {
        columns[k] = v.stringValue ?? v.jsonText()
      }
      return ScoringItem(
        prompt: row["prompt"]?.stringValue ?? "", completion: row["completion"]?.stringValue ?? "",
        columns: columns)
    }
    let built = try makeSources(sources.filter { $0 != AnswerAgreement.name })
    if let code = built.compactMap({ $0 as? CodeVerifier }).first {
      if requireIsolation, let reason = SandboxIsolation.unavailableReason {
        throw SandboxError.isolationUnavailable(reason: reason)
      }
      let isolation = code.sandbox.expectedIsolation
      if !isolation.namespaces {
        log(
          "warning: \(code.name) runs untrusted code without namespace isolation (\(unisolated ? "--unisolated" : SandboxIsolation.unavailableReason ?? "disabled")): the file system is writable where the user can write, and the network is blocked only inside Python's socket module"
        )
      }
    }
    var inputs: [String: JSONValue] = [:]
    for source in built {
      inputs[source.name] = .array(source.columnsRead.sorted().map { .string($0) })
    }
    if sources.contains(AnswerAgreement.name) { inputs[AnswerAgreement.name] = .array([]) }
    var abstainedBySource: [String: [String: Int]] = [:]
    var scores = [[String: JSONValue]](repeating: [:], count: rows.count)
    var abstentions = [[String: JSONValue]](repeating: [:], count: rows.count)
    if sources.contains(AnswerAgreement.name) {
      // Agreement compares each candidate with the others of its query: all rows at once.
      let agreement = try AnswerAgreement.scores(
        completions: items.map(\.completion), groups: QueryGroups(rows: rows))
      for (i, a) in agreement.enumerated() {
        scores[i][AnswerAgreement.name] = a.map(JSONValue.number) ?? .null
        if a == nil {
          abstentions[i][AnswerAgreement.name] = .string("only candidate of its query")
        }
      }
    }
    for source in built {
      for start in stride(from: 0, to: items.count, by: max(1, batchSize)) {
        let end = min(items.count, start + batchSize)
        let result = try await source.score(Array(items[start..<end]))
        for (i, s) in result.enumerated() {
          switch s {
          case .value(let v): scores[start + i][source.name] = v.isFinite ? .number(v) : .null
          case .abstain(let reason):
            scores[start + i][source.name] = .null
            abstentions[start + i][source.name] = .string(reason)
            let kind = reason.split(separator: ":", maxSplits: 1).first.map(String.init) ?? reason
            abstainedBySource[source.name, default: [:]][kind, default: 0] += 1
          }
        }
        progress("\(source.name): \(end)/\(items.count)")
      }
      endProgress()
      if let kinds = abstainedBySource[source.name] {
        let total = kinds.values.reduce(0, +)
        let detail = kinds.sorted { $0.value > $1.value }.map { "\($0.value) \($0.key)" }
        log(
          "\(source.name): \(total) of \(items.count) abstained (\(detail.joined(separator: ", ")))"
        )
      }
    }
    for (i, var row) in rows.enumerated() {
      row["scores"] = .object(scores[i])
      row["score_inputs"] = .object(inputs)
      if !abstentions[i].isEmpty { row["abstained"] = .object(abstentions[i]) }
      print(JSONLWriter.line(row), terminator: "")
    }
  }

  /// The flags as ``RewardSourceSettings``; the sources themselves come from
  /// ``RewardSourceRegistry``.
  func makeSources(_ names: [String]) throws -> [any RewardSource] {
    var settings = RewardSourceSettings(
      model: { try loadModel(model, adapter: adapter) },
      baseModelPath: model ?? LanguageModel.defaultPath)
    settings.chat = chat
    settings.judgeURL = judgeURL
    settings.judgeModel = judgeModel
    settings.judgeAPIKey = ProcessInfo.processInfo.environment["OPENAI_API_KEY"]
    settings.judgeTimeout = judgeTimeout
    settings.judgeCache = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
      ".cache/whetstone/judge")
    settings.judgeTemplate = judgeTemplate.map { URL(fileURLWithPath: $0) }
    let bounds = judgeRange.split(separator: ":").compactMap { Double($0) }
    guard bounds.count == 2, bounds[0] < bounds[1] else {
      throw ValidationError("--judge-range must be LOW:HIGH with LOW < HIGH, e.g. 0:5")
    }
    settings.judgeRange = bounds[0]...bounds[1]
    settings.sandbox = unisolated ? .disabled : requireIsolation ? .required : .preferred
    return try RewardSourceRegistry.make(names, settings: settings)
  }
}
