import Crypto
import Foundation
import WhetNN
import WhetTensor

/// Reference log-probs kept on disk, so a second run on the same model and data (another
/// learning rate, a resumed run) skips the reference pass.
///
/// The key is the SHA-256 of the model file's path, size and modification time (every weight
/// file of a model directory) and of every sequence's tokens and targets, which carry the data
/// and the tokenization settings (template, truncation). Entries are safetensors files written
/// atomically; an entry that does not read back as the expected count is ignored.
public struct ReferenceLogProbCache {
  public var directory: URL

  public init(directory: URL) { self.directory = directory }

  /// `$WHET_CACHE/reference-logprobs`, else `~/.cache/whetstone/reference-logprobs`.
  public static var defaultDirectory: URL {
    let base =
      ProcessInfo.processInfo.environment["WHET_CACHE"].map { URL(fileURLWithPath: $0) }
      ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(
        ".cache/whetstone")
    return base.appendingPathComponent("reference-logprobs")
  }

  public static func key(modelPath: String, sequences: [TokenizedSequence]) -> String {
    var hasher = SHA256()
    func add(_ text: String) { hasher.update(data: Data((text + "\u{0}").utf8)) }
    add("whetstone-reference-logprobs-v1")
    for file in weightFiles(modelPath) {
      let attributes = try? FileManager.default.attributesOfItem(atPath: file)
      let size = (attributes?[.size] as? NSNumber)?.int64Value ?? -1
      let date = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? -1
      add("\(file)|\(size)|\(date)")
    }
    for s in sequences {
      s.tokens.withUnsafeBytes { hasher.update(bufferPointer: $0) }
      s.targets.withUnsafeBytes { hasher.update(bufferPointer: $0) }
      add("")
    }
    return hasher.finalize().map { String(format: "%02x", $0) }.joined()
  }

  /// The file itself, or the safetensors and config files of a model directory.
  static func weightFiles(_ path: String) -> [String] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { return [path] }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
    return names.filter { $0.hasSuffix(".safetensors") || $0 == "config.json" }.sorted().map {
      (path as NSString).appendingPathComponent($0)
    }
  }

  func url(_ key: String) -> URL { directory.appendingPathComponent(key + ".safetensors") }

  public func read(key: String, count: Int) -> [Float]? {
    guard let file = try? SafetensorsFile(contentsOf: url(key)),
      let t = try? file.tensor("logps"), t.count == count, t.scalars.allSatisfy(\.isFinite)
    else { return nil }
    return t.scalars
  }

  public func write(_ values: [Float], key: String) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    try SafetensorsFile.write(
      [("logps", Tensor(shape: [values.count], scalars: values))], to: url(key))
  }
}
