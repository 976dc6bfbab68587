/// Text that is not valid JSON: what is wrong and where (1-based line and column, counted in
/// UTF-8 bytes within the line).
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
  /// What the parser expected or found, e.g. `"expected ',' or '}' in object"`.
  public var message: String
  /// 1-based line of the offending byte.
  public var line: Int
  /// 1-based column (byte) of the offending byte within its line.
  public var column: Int

  /// An error at the given 1-based position.
  public init(message: String, line: Int, column: Int) {
    self.message = message
    self.line = line
    self.column = column
  }

  public var description: String { "\(message) at line \(line), column \(column)" }
}
