/// A model directory or file that cannot be loaded. Every case names the file.
public enum ModelLoadError: Error, CustomStringConvertible, Equatable {
  case notFound(path: String)
  case missingFile(directory: String, file: String)
  case invalidConfiguration(file: String, reason: String)
  case unsupported(file: String, reason: String)
  case missingWeight(file: String, tensor: String)
  case shapeMismatch(file: String, tensor: String, expected: [Int], found: [Int])

  public var description: String {
    switch self {
    case .notFound(let p):
      return
        "\(p): no such file or directory (expected a .gguf file or a Hugging Face model directory)"
    case .missingFile(let d, let f): return "\(d): missing \(f)"
    case .invalidConfiguration(let f, let r): return "\(f): \(r)"
    case .unsupported(let f, let r): return "\(f): not supported: \(r)"
    case .missingWeight(let f, let t): return "\(f): no tensor '\(t)'"
    case .shapeMismatch(let f, let t, let e, let g):
      return "\(f): tensor '\(t)' has shape \(g), the configuration implies \(e)"
    }
  }
}
