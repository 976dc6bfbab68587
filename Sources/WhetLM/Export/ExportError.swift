/// A model that cannot be exported as asked.
public enum ExportError: Error, CustomStringConvertible, Equatable {
  case unsupported(String)

  public var description: String {
    switch self {
    case .unsupported(let reason): return "cannot export: \(reason)"
    }
  }
}
