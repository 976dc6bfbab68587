import Foundation
import WhetLM
import WhetNN

/// What building reward sources by name needs beyond the names: the model they share (loaded
/// once, lazily), the judge endpoint and prompt, and the sandbox policy for code.
public struct RewardSourceSettings {
  /// The model for model scores, local judges and `rm:FILE` heads (a run directory's
  /// `rm:DIR` loads its own).
  public var model: () throws -> LanguageModel
  /// The base model a LoRA reward model was trained on.
  public var baseModelPath: String
  /// Render prompts through the chat template for model scores and reward models.
  public var chat = true
  public var judgeURL: String? = nil
  public var judgeModel = "default"
  public var judgeAPIKey: String? = nil
  public var judgeTimeout: Double = 60
  public var judgeCache: URL? = nil
  /// A prompt template file overriding the bundled one.
  public var judgeTemplate: URL? = nil
  /// The pointwise judge's score range.
  public var judgeRange: ClosedRange<Double> = 0...5
  public var sandbox: SandboxIsolationPolicy = .preferred

  public init(model: @escaping () throws -> LanguageModel, baseModelPath: String) {
    self.model = model
    self.baseModelPath = baseModelPath
  }
}

/// Every reward source by the name `whet score --source`, configs and trainers use, in one
/// place: verifiers (``VerifierRegistry``), model scores, judges and reward models.
public enum RewardSourceRegistry {
  /// The accepted forms, for help text and errors.
  public static let validNames =
    VerifierRegistry.validNames + [
      "logprob", "mean-logprob", "self-certainty", "laser", "judge:local", "judge:local:yes",
      "judge:http", "judge:http:yes", "rm:<dir or head.safetensors>",
    ]

  /// The sources called `names`. Model scores share one ``CompletionScorer``, so several of
  /// them cost one forward pass.
  public static func make(_ names: [String], settings: RewardSourceSettings) throws
    -> [any RewardSource]
  {
    var lm: LanguageModel?
    func loaded() throws -> LanguageModel {
      if let lm { return lm }
      let m = try settings.model()
      lm = m
      return m
    }
    var sharedScorer: CompletionScorer?
    func scorer() throws -> CompletionScorer {
      if let sharedScorer { return sharedScorer }
      let s = CompletionScorer(model: try loaded(), chat: settings.chat)
      sharedScorer = s
      return s
    }
    return try names.map { name -> any RewardSource in
      switch name {
      case "logprob", "mean-logprob", "self-certainty":
        return ModelScoreSource(ModelScoreKind(rawValue: name)!, scorer: try scorer())
      case "laser":
        let m = try loaded()
        let end = m.tokenizer.id("<|im_end|>") ?? m.tokenizer.eosTokenID ?? 0
        return LastTokenRewardSource(scorer: try scorer(), token: end)
      case "judge:local", "judge:local:yes", "judge:http", "judge:http:yes":
        let backend: any JudgeBackend
        if name.hasPrefix("judge:http") {
          guard let url = settings.judgeURL else {
            throw RewardSourceError.missingSetting(source: name, setting: "a judge URL")
          }
          backend = HTTPJudgeBackend(
            baseURL: url, model: settings.judgeModel, apiKey: settings.judgeAPIKey,
            timeoutSeconds: settings.judgeTimeout, cacheDirectory: settings.judgeCache)
        } else {
          backend = LocalJudgeBackend(model: try loaded())
        }
        let yesNo = name.hasSuffix(":yes")
        let template =
          try settings.judgeTemplate.map { try JudgePrompt(contentsOf: $0) }
          ?? JudgePrompt.bundled(yesNo ? "correctness_yes_no" : "pointwise_additive")
        if yesNo { return CorrectnessJudge(name: name, backend: backend, prompt: template) }
        return PointwiseJudge(
          name: name, backend: backend, prompt: template, range: settings.judgeRange)
      case let name where name.hasPrefix("rm:"):
        return try RewardModelSource.open(
          String(name.dropFirst(3)), sharedModel: loaded, baseModel: settings.baseModelPath,
          chat: settings.chat)
      default:
        return try VerifierRegistry.make(
          name, sandbox: PythonSandbox(isolationPolicy: settings.sandbox))
      }
    }
  }
}

/// A reward source that cannot be built as named.
public enum RewardSourceError: Error, CustomStringConvertible {
  case missingSetting(source: String, setting: String)

  public var description: String {
    switch self {
    case .missingSetting(let source, let setting): return "\(source) needs \(setting)"
    }
  }
}
