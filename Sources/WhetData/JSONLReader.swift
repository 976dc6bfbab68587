import Foundation
import WhetLM

/// Reads a JSONL file one object per line, streaming: the file is read in 64 KiB chunks and
/// only the current line is held in memory.
///
/// Blank lines are skipped (they still count for line numbers), `\r\n` endings and a leading
/// UTF-8 byte-order mark are accepted. Any other line must be one JSON object, or ``next()``
/// throws a ``DatasetError`` naming the file and line.
///
/// ```swift
/// let reader = try JSONLReader(url: url)
/// while let row = try reader.next() { print(reader.lineNumber, row["prompt"] ?? .null) }
/// ```
public final class JSONLReader {
  /// The file's name as given (used in errors).
  public let file: String
  /// The 1-based line of the row last returned (0 before the first).
  public private(set) var lineNumber = 0

  private let handle: FileHandle?
  private var buffer: [UInt8] = []
  private var start = 0
  private var exhausted = false

  /// Opens `url` for reading.
  public init(url: URL) throws(DatasetError) {
    file = url.path
    do {
      handle = try FileHandle(forReadingFrom: url)
    } catch {
      throw .unreadable(file: url.path, reason: "cannot open: \(error.localizedDescription)")
    }
  }

  /// Reads JSONL held in memory; `name` stands for the file in errors.
  public init(text: String, name: String = "<memory>") {
    file = name
    handle = nil
    buffer = Array(text.utf8)
    exhausted = true
  }

  deinit { try? handle?.close() }

  /// The next object, or `nil` at the end of the file.
  public func next() throws(DatasetError) -> [String: JSONValue]? {
    while let line = try nextLine() {
      lineNumber += 1
      var bytes = line
      if lineNumber == 1, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
      if bytes.last == 0x0D { bytes.removeLast() }
      if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
      let value: JSONValue
      do {
        value = try JSONValue.parse(bytes: bytes)
      } catch {
        throw .invalidJSON(
          file: file, line: lineNumber, reason: "\(error.message) at column \(error.column)")
      }
      guard let object = value.objectValue else {
        throw .notAnObject(file: file, line: lineNumber, found: value.kindDescription)
      }
      return object
    }
    return nil
  }

  /// Every remaining object.
  public func readAll() throws(DatasetError) -> [[String: JSONValue]] {
    var rows: [[String: JSONValue]] = []
    while let row = try next() { rows.append(row) }
    return rows
  }

  /// Every object of the file at `url`.
  public static func readAll(_ url: URL) throws(DatasetError) -> [[String: JSONValue]] {
    try JSONLReader(url: url).readAll()
  }

  /// The bytes of the next line without its `\n`, or `nil` at the end.
  private func nextLine() throws(DatasetError) -> [UInt8]? {
    while true {
      if let newline = buffer[start...].firstIndex(of: 0x0A) {
        let line = Array(buffer[start..<newline])
        start = newline + 1
        return line
      }
      if exhausted {
        guard start < buffer.count else { return nil }
        let line = Array(buffer[start...])
        start = buffer.count
        return line
      }
      // Compact, then read another chunk.
      buffer.removeFirst(start)
      start = 0
      let chunk: Data?
      do {
        chunk = try handle?.read(upToCount: 1 << 16)
      } catch {
        throw .unreadable(file: file, reason: "read failed: \(error.localizedDescription)")
      }
      if let chunk, !chunk.isEmpty { buffer.append(contentsOf: chunk) } else { exhausted = true }
    }
  }
}
