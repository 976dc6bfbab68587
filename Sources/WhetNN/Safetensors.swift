import Foundation
import WhetTensor

/// What is wrong with a safetensors file. Every case names the file.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
  case unreadable(file: String, reason: String)
  case truncated(file: String, reason: String)
  case invalidHeader(file: String, reason: String)
  case invalidTensor(file: String, tensor: String, reason: String)
  case missingTensor(file: String, tensor: String)

  public var description: String {
    switch self {
    case .unreadable(let f, let r): return "\(f): cannot read safetensors file: \(r)"
    case .truncated(let f, let r): return "\(f): truncated safetensors file: \(r)"
    case .invalidHeader(let f, let r): return "\(f): invalid safetensors header: \(r)"
    case .invalidTensor(let f, let t, let r): return "\(f): tensor '\(t)': \(r)"
    case .missingTensor(let f, let t): return "\(f): no tensor named '\(t)'"
    }
  }
}

/// Element types of safetensors that Whetstone reads (and converts to Float32).
public enum SafetensorsDType: String, Sendable {
  case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64"

  public var byteSize: Int {
    switch self {
    case .f32: return 4
    case .f16, .bf16: return 2
    case .f64: return 8
    }
  }
}

/// A parsed safetensors file (format: 8-byte little-endian header length, a JSON header of
/// `name → {dtype, shape, data_offsets}` plus optional `__metadata__`, then the data).
///
/// The file is memory-mapped; tensors are converted to Float32 only when asked for.
public struct SafetensorsFile {
  public struct Entry: Sendable {
    public let dtype: SafetensorsDType
    public let shape: [Int]
    public let range: Range<Int>
  }

  public let path: String
  public let metadata: [String: String]
  public let entries: [String: Entry]
  let data: Data
  let dataStart: Int

  /// The largest header the reference implementation accepts (100 MB).
  static let maximumHeaderSize = 100_000_000

  public init(contentsOf url: URL) throws {
    let path = url.path
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw SafetensorsError.unreadable(file: path, reason: error.localizedDescription)
    }
    try self.init(data: data, path: path)
  }

  public init(data: Data, path: String) throws {
    self.path = path
    self.data = data
    guard data.count >= 8 else {
      throw SafetensorsError.truncated(file: path, reason: "\(data.count) bytes, need at least 8")
    }
    let headerSize = data.withUnsafeBytes { raw in
      UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self))
    }
    guard headerSize <= UInt64(Self.maximumHeaderSize) else {
      throw SafetensorsError.invalidHeader(
        file: path, reason: "header size \(headerSize) exceeds 100 MB")
    }
    guard 8 + Int(headerSize) <= data.count else {
      throw SafetensorsError.truncated(
        file: path, reason: "header of \(headerSize) bytes but file has \(data.count) bytes")
    }
    dataStart = 8 + Int(headerSize)
    let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + dataStart))
    guard headerBytes.first == UInt8(ascii: "{") else {
      throw SafetensorsError.invalidHeader(file: path, reason: "header does not start with '{'")
    }
    let json: [String: Any]
    do {
      guard let object = try JSONSerialization.jsonObject(with: headerBytes) as? [String: Any]
      else {
        throw SafetensorsError.invalidHeader(file: path, reason: "header is not a JSON object")
      }
      json = object
    } catch let e as SafetensorsError {
      throw e
    } catch {
      throw SafetensorsError.invalidHeader(file: path, reason: "header is not valid JSON")
    }
    var metadata: [String: String] = [:]
    var entries: [String: Entry] = [:]
    for (name, value) in json {
      if name == "__metadata__" {
        guard let m = value as? [String: String] else {
          throw SafetensorsError.invalidHeader(
            file: path, reason: "__metadata__ must map strings to strings")
        }
        metadata = m
        continue
      }
      entries[name] = try Self.parseEntry(name: name, value: value, path: path)
    }
    try Self.validateLayout(entries, dataSize: data.count - dataStart, path: path)
    self.metadata = metadata
    self.entries = entries
  }

  static func parseEntry(name: String, value: Any, path: String) throws -> Entry {
    func bad(_ reason: String) -> SafetensorsError {
      .invalidTensor(file: path, tensor: name, reason: reason)
    }
    guard let info = value as? [String: Any] else { throw bad("entry is not an object") }
    guard let dtypeName = info["dtype"] as? String else { throw bad("missing dtype") }
    guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
      throw bad("unsupported dtype \(dtypeName)")
    }
    guard let shapeValues = info["shape"] as? [Any], let offsets = info["data_offsets"] as? [Any],
      offsets.count == 2
    else { throw bad("missing shape or data_offsets") }
    let shape = try shapeValues.map { v -> Int in
      guard let n = v as? Int, n >= 0 else {
        throw bad("shape \(shapeValues) is not non-negative integers")
      }
      return n
    }
    guard let begin = offsets[0] as? Int, let end = offsets[1] as? Int, begin >= 0, begin <= end
    else {
      throw bad("data_offsets \(offsets) are not an increasing pair")
    }
    var bytes = dtype.byteSize
    for d in shape {
      let (product, overflow) = bytes.multipliedReportingOverflow(by: d)
      if overflow { throw bad("shape \(shape) overflows") }
      bytes = product
    }
    guard end - begin == bytes else {
      throw bad(
        "shape \(shape) of \(dtypeName) needs \(bytes) bytes, data_offsets give \(end - begin)")
    }
    return Entry(dtype: dtype, shape: shape, range: begin..<end)
  }

  /// Tensors must tile the data section exactly: no gaps, no overlaps, nothing past the end.
  static func validateLayout(_ entries: [String: Entry], dataSize: Int, path: String) throws {
    var expected = 0
    for (name, e) in entries.sorted(by: {
      ($0.value.range.lowerBound, $0.key) < ($1.value.range.lowerBound, $1.key)
    }) {
      if e.range.upperBound > dataSize {
        throw SafetensorsError.truncated(
          file: path,
          reason:
            "tensor '\(name)' ends at byte \(e.range.upperBound) of a \(dataSize)-byte data section"
        )
      }
      if e.range.lowerBound != expected {
        throw SafetensorsError.invalidTensor(
          file: path, tensor: name,
          reason: "starts at \(e.range.lowerBound), expected \(expected) (gap or overlap)")
      }
      expected = e.range.upperBound
    }
    if expected != dataSize {
      throw SafetensorsError.invalidHeader(
        file: path, reason: "data section has \(dataSize) bytes but tensors cover \(expected)")
    }
  }

  /// Tensor names, sorted.
  public var names: [String] { entries.keys.sorted() }

  /// The tensor `name` converted to Float32.
  public func tensor(_ name: String) throws -> Tensor {
    guard let e = entries[name] else {
      throw SafetensorsError.missingTensor(file: path, tensor: name)
    }
    let count = Tensor.elementCount(e.shape)
    return data.withUnsafeBytes { raw in
      let base = raw.baseAddress! + dataStart + e.range.lowerBound
      return Tensor(shape: e.shape) { out in
        switch e.dtype {
        case .f32:
          for i in 0..<count {
            out[i] = Float(
              bitPattern: UInt32(
                littleEndian: base.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
          }
        case .f64:
          for i in 0..<count {
            out[i] = Float(
              Double(
                bitPattern: UInt64(
                  littleEndian: base.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
          }
        case .f16:
          for i in 0..<count {
            out[i] = halfToFloat(
              UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
          }
        case .bf16:
          for i in 0..<count {
            out[i] = Float(
              bitPattern: UInt32(
                UInt16(littleEndian: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
                << 16)
          }
        }
      }
    }
  }

  /// Writes `tensors` as Float32 with `metadata`, atomically. Keys are sorted so the same
  /// tensors always give the same bytes.
  public static func write(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:], to url: URL
  ) throws {
    try AtomicFile.write(encode(tensors, metadata: metadata), to: url)
  }

  /// The bytes of a safetensors file holding `tensors` as Float32.
  public static func encode(
    _ tensors: [(name: String, tensor: Tensor)], metadata: [String: String] = [:]
  ) throws -> Data {
    let sorted = tensors.sorted { $0.name < $1.name }
    precondition(Set(sorted.map(\.name)).count == sorted.count, "duplicate tensor names")
    var header: [String: Any] = [:]
    if !metadata.isEmpty { header["__metadata__"] = metadata }
    var offset = 0
    for (name, t) in sorted {
      header[name] = [
        "dtype": "F32", "shape": t.shape, "data_offsets": [offset, offset + 4 * t.count],
      ]
      offset += 4 * t.count
    }
    var headerData = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
    // Pad with spaces so the data section starts 8-byte aligned, as the reference writer does.
    while headerData.count % 8 != 0 { headerData.append(UInt8(ascii: " ")) }
    var out = Data(capacity: 8 + headerData.count + offset)
    withUnsafeBytes(of: UInt64(headerData.count).littleEndian) { out.append(contentsOf: $0) }
    out.append(headerData)
    for (_, t) in sorted {
      t.withUnsafeBufferPointer { p in
        // Float32 in memory is little-endian on every platform Swift runs on here.
        out.append(
          UnsafeBufferPointer(
            start: UnsafeRawPointer(p.baseAddress!).assumingMemoryBound(to: UInt8.self),
            count: 4 * p.count))
      }
    }
    return out
  }
}
