import Foundation
import WhetLM

/// Writes JSONL: one compact JSON object per line, keys sorted so equal rows give equal bytes.
public final class JSONLWriter {
  /// The file being written.
  public let file: String
  private let handle: FileHandle

  /// Creates (or truncates) `url`, or appends to it when `append` is set.
  public init(url: URL, append: Bool = false) throws(DatasetError) {
    file = url.path
    let manager = FileManager.default
    if !append || !manager.fileExists(atPath: url.path) {
      guard manager.createFile(atPath: url.path, contents: nil) else {
        throw .unreadable(file: url.path, reason: "cannot create the file")
      }
    }
    do {
      handle = try FileHandle(forWritingTo: url)
      if append { try handle.seekToEnd() }
    } catch {
      throw .unreadable(
        file: url.path, reason: "cannot open for writing: \(error.localizedDescription)")
    }
  }

  deinit { try? handle.close() }

  /// Appends one row.
  public func write(_ object: [String: JSONValue]) throws(DatasetError) {
    do {
      try handle.write(contentsOf: Data(Self.line(object).utf8))
    } catch {
      throw .unreadable(file: file, reason: "write failed: \(error.localizedDescription)")
    }
  }

  /// Flushes and closes the file.
  public func close() throws(DatasetError) {
    do {
      try handle.synchronize()
      try handle.close()
    } catch {
      throw .unreadable(file: file, reason: "close failed: \(error.localizedDescription)")
    }
  }

  /// One JSONL line for `object`, newline included.
  public static func line(_ object: [String: JSONValue]) -> String {
    JSONValue.object(object).jsonText(sortedKeys: true) + "\n"
  }

  /// Writes `rows` to `url`, replacing it; the text goes to a temporary file first and is then
  /// moved into place, so readers never see half a file.
  public static func write(_ rows: [[String: JSONValue]], to url: URL) throws(DatasetError) {
    let text = rows.map(line).joined()
    do {
      try Data(text.utf8).write(to: url, options: .atomic)
    } catch {
      throw .unreadable(file: url.path, reason: "write failed: \(error.localizedDescription)")
    }
  }
}
