import Foundation
import WhetTensor

/// What a resumed run needs besides the weights and optimizer moments.
public struct TrainingState: Codable, Sendable, Equatable {
  /// Optimizer updates taken.
  public var step: Int
  /// Position in the data stream (examples consumed), so a resumed run reads the next ones.
  public var dataPosition: Int
  /// The run's random generator, so dropout masks and sampling continue identically.
  public var generator: SeededGenerator
  /// Free-form values a trainer wants back (config hash, best metric, …).
  public var extra: [String: String]

  public init(
    step: Int, dataPosition: Int, generator: SeededGenerator, extra: [String: String] = [:]
  ) {
    self.step = step
    self.dataPosition = dataPosition
    self.generator = generator
    self.extra = extra
  }

  enum CodingKeys: String, CodingKey { case step, dataPosition = "data_position", generator, extra }

  public init(from decoder: Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    step = try c.decode(Int.self, forKey: .step)
    dataPosition = try c.decode(Int.self, forKey: .dataPosition)
    // Generator words are hex strings: JSON numbers cannot hold 64 bits exactly.
    let words = try c.decode([String].self, forKey: .generator).compactMap { UInt64($0, radix: 16) }
    guard words.count == 4 else {
      throw DecodingError.dataCorruptedError(
        forKey: .generator, in: c, debugDescription: "need 4 hex words")
    }
    generator = SeededGenerator(stateWords: words)
    extra = try c.decode([String: String].self, forKey: .extra)
  }

  public func encode(to encoder: Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(step, forKey: .step)
    try c.encode(dataPosition, forKey: .dataPosition)
    try c.encode(generator.stateWords.map { String($0, radix: 16) }, forKey: .generator)
    try c.encode(extra, forKey: .extra)
  }
}

/// A checkpoint file does not fit the model it is loaded into.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
  case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])
  case missingState(file: String, reason: String)
  /// A tensor the model or optimizer needs is not in the file.
  case missingTensor(file: String, tensor: String)
  /// The file holds a tensor that neither the model nor the optimizer has.
  case unexpectedTensor(file: String, tensor: String)

  public var description: String {
    switch self {
    case .shapeMismatch(let f, let t, let e, let g):
      return "\(f): tensor '\(t)' has shape \(g), the model expects \(e)"
    case .missingState(let f, let r): return "\(f): not a Whetstone checkpoint: \(r)"
    case .missingTensor(let f, let t): return "\(f): no tensor '\(t)', which the run needs"
    case .unexpectedTensor(let f, let t):
      return "\(f): tensor '\(t)' belongs to no parameter of this model or optimizer"
    }
  }
}

/// One safetensors file holding the parameters (under their own names), the optimizer
/// state (`optimizer.<kind>.<parameter name>`, e.g. `optimizer.exp_avg.lm_head.weight`) and
/// the ``TrainingState`` (in the metadata), written atomically.
///
/// Loading checks every tensor against the model and the optimizer before changing
/// anything: each parameter and each optimizer moment must be present with its parameter's
/// shape, and nothing else may be in the file.
public enum Checkpoint {
  static let stateKey = "whetstone.training_state"
  static let optimizerStepKey = "whetstone.optimizer_step"

  public static func save(
    to url: URL, parameters: [(name: String, variable: Variable)], optimizer: Optimizer?,
    state: TrainingState
  ) throws {
    var tensors = parameters.map { (name: $0.name, tensor: $0.variable.value) }
    if let optimizer {
      for (kind, perParameter) in zip(optimizer.stateKinds, optimizer.parameterState) {
        precondition(
          perParameter.count == parameters.count, "optimizer state and parameters differ")
        for (p, tensor) in zip(parameters, perParameter) {
          tensors.append((name: "optimizer.\(kind).\(p.name)", tensor: tensor))
        }
      }
    }
    let stateJSON = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
    var metadata = [stateKey: stateJSON]
    if let optimizer { metadata[optimizerStepKey] = String(optimizer.stepCount) }
    try SafetensorsFile.write(tensors, metadata: metadata, to: url)
  }

  /// Loads weights into `parameters` and state into `optimizer`; returns the training state.
  @discardableResult
  public static func load(
    from url: URL, into parameters: [(name: String, variable: Variable)], optimizer: Optimizer?
  ) throws -> TrainingState {
    let file = try SafetensorsFile(contentsOf: url)
    guard let json = file.metadata[stateKey],
      let state = try? JSONDecoder().decode(TrainingState.self, from: Data(json.utf8))
    else { throw CheckpointError.missingState(file: url.path, reason: "no readable \(stateKey)") }
    // Read and check everything before changing anything, so a bad file leaves the run as it was.
    var expected = Set<String>()
    func read(_ name: String, shape: [Int]) throws -> Tensor {
      expected.insert(name)
      guard file.names.contains(name) else {
        throw CheckpointError.missingTensor(file: url.path, tensor: name)
      }
      let t = try file.tensor(name)
      guard t.shape == shape else {
        throw CheckpointError.shapeMismatch(
          file: url.path, tensor: name, expected: shape, found: t.shape)
      }
      return t
    }
    let loaded = try parameters.map { try read($0.name, shape: $0.variable.shape) }
    // The optimizer's moments exist once it has stepped; a checkpoint from step 0 has none.
    var optimizerState: [[Tensor]] = []
    if let optimizer, file.names.contains(where: { $0.hasPrefix("optimizer.") }) {
      optimizerState = try optimizer.stateKinds.map { kind in
        try parameters.map { try read("optimizer.\(kind).\($0.name)", shape: $0.variable.shape) }
      }
    }
    if let unexpected = file.names.sorted().first(where: { !expected.contains($0) }) {
      throw CheckpointError.unexpectedTensor(file: url.path, tensor: unexpected)
    }
    for (i, p) in parameters.enumerated() { p.variable.value = loaded[i] }
    if let optimizer {
      optimizer.restore(optimizerState)
      optimizer.stepCount = Int(file.metadata[optimizerStepKey] ?? "") ?? 0
    }
    return state
  }
}
