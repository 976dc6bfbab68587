/// Bounds-checked little-endian reads over a file's bytes; running past the end throws
/// ``GGUFError/truncated(file:offset:reading:)`` with the offset and what was being read.
struct ByteCursor {
  let bytes: UnsafeRawBufferPointer
  let file: String
  var offset = 0

  mutating func take(_ n: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
    guard n >= 0, n <= bytes.count - offset else {
      throw GGUFError.truncated(file: file, offset: offset, reading: what())
    }
    defer { offset += n }
    return UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + n)])
  }

  mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws -> T
  {
    let raw = try take(MemoryLayout<T>.size, what())
    return T(littleEndian: raw.loadUnaligned(as: T.self))
  }

  mutating func readString(_ what: @autoclosure () -> String) throws -> String {
    let length = try read(UInt64.self, "length of \(what())")
    guard length <= UInt64(bytes.count - offset) else {
      throw GGUFError.truncated(file: file, offset: offset, reading: "\(what()) of \(length) bytes")
    }
    return String(decoding: try take(Int(length), what()), as: UTF8.self)
  }
}
