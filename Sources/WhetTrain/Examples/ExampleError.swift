/// A dataset row that cannot become a training example, named by file and line.
public struct ExampleError: Error, Equatable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var reason: String

  public init(file: String, line: Int, reason: String) {
    self.file = file
    self.line = line
    self.reason = reason
  }

  public var description: String { "\(file):\(line): \(reason)" }
}
