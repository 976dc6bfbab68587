/// What is wrong with a GGUF file. Every case names the file, and the tensor, key or byte
/// offset where the problem was found.
public enum GGUFError: Error, CustomStringConvertible, Equatable {
  case unreadable(file: String, reason: String)
  case badMagic(file: String, found: String)
  case unsupportedVersion(file: String, version: UInt32)
  case truncated(file: String, offset: Int, reading: String)
  case invalidMetadata(file: String, key: String, reason: String)
  case missingMetadata(file: String, key: String)
  case invalidTensor(file: String, tensor: String, reason: String)
  case unsupportedTensorType(file: String, tensor: String, type: UInt32)
  case missingTensor(file: String, tensor: String)

  public var description: String {
    switch self {
    case .unreadable(let f, let r): return "\(f): cannot read GGUF file: \(r)"
    case .badMagic(let f, let m): return "\(f): not a GGUF file (magic \(m), expected \"GGUF\")"
    case .unsupportedVersion(let f, let v):
      return "\(f): GGUF version \(v) is not supported (2 or 3)"
    case .truncated(let f, let o, let what):
      return "\(f): truncated GGUF file: reading \(what) at byte \(o) runs past the end"
    case .invalidMetadata(let f, let k, let r): return "\(f): metadata '\(k)': \(r)"
    case .missingMetadata(let f, let k): return "\(f): missing metadata '\(k)'"
    case .invalidTensor(let f, let t, let r): return "\(f): tensor '\(t)': \(r)"
    case .unsupportedTensorType(let f, let t, let ty):
      return "\(f): tensor '\(t)': ggml type \(ty) is not supported"
    case .missingTensor(let f, let t): return "\(f): no tensor named '\(t)'"
    }
  }
}
