import Foundation
import WhetTensor

/// A GGUF v2/v3 file: metadata, tensor infos, and tensor data mapped from disk.
///
/// Layout: magic `GGUF`, version, tensor count, metadata count; metadata key/value pairs;
/// tensor infos (name, dims with the fastest axis first, ggml type, offset); padding to
/// `general.alignment` (32 by default); the data section. Tensor bytes are read only when a
/// tensor is asked for.
public struct GGUFFile: @unchecked Sendable {
  public struct TensorInfo: Sendable, Equatable {
    public let name: String
    /// Row-major shape (GGUF stores dims fastest-first; this is them reversed).
    public let shape: [Int]
    public let type: GGMLType
    /// Byte offset from the start of the data section.
    public let offset: Int
    public let byteCount: Int
    public var elementCount: Int { shape.reduce(1, *) }
  }

  public let path: String
  public let version: UInt32
  /// Metadata in file order.
  public let metadataKeys: [String]
  public let metadata: [String: GGUFValue]
  public let tensors: [TensorInfo]
  public let alignment: Int
  let data: Data
  let dataStart: Int
  let tensorIndex: [String: Int]

  public init(contentsOf url: URL) throws {
    let data: Data
    do {
      data = try Data(contentsOf: url, options: .alwaysMapped)
    } catch {
      throw GGUFError.unreadable(file: url.path, reason: error.localizedDescription)
    }
    try self.init(data: data, path: url.path)
  }

  public init(data: Data, path: String) throws {
    self.path = path
    self.data = data
    var keys: [String] = []
    var metadata: [String: GGUFValue] = [:]
    var infos: [TensorInfo] = []
    var alignment = 32
    var dataStart = 0
    var fileVersion: UInt32 = 0
    try data.withUnsafeBytes { raw in
      var c = ByteCursor(bytes: raw, file: path)
      let magic = try c.take(4, "magic")
      guard Array(magic) == Array("GGUF".utf8) else {
        throw GGUFError.badMagic(
          file: path, found: String(decoding: magic, as: UTF8.self).debugDescription)
      }
      let version = try c.read(UInt32.self, "version")
      guard version == 2 || version == 3 else {
        throw GGUFError.unsupportedVersion(file: path, version: version)
      }
      let tensorCount = try c.read(UInt64.self, "tensor count")
      let metadataCount = try c.read(UInt64.self, "metadata count")
      // Each entry takes at least 8 bytes, so larger counts cannot be honest.
      guard tensorCount <= UInt64(raw.count / 8), metadataCount <= UInt64(raw.count / 8) else {
        throw GGUFError.truncated(
          file: path, offset: c.offset,
          reading: "\(tensorCount) tensors and \(metadataCount) metadata entries")
      }
      for i in 0..<Int(metadataCount) {
        let key = try c.readString("metadata key \(i)")
        let type = try c.read(UInt32.self, "type of '\(key)'")
        let value = try Self.readValue(type: type, key: key, cursor: &c, depth: 0)
        if metadata[key] == nil { keys.append(key) }
        metadata[key] = value
      }
      if let a = metadata["general.alignment"] {
        guard let n = a.intValue, n > 0, n & (n - 1) == 0 else {
          throw GGUFError.invalidMetadata(
            file: path, key: "general.alignment", reason: "must be a power of two, got \(a)")
        }
        alignment = n
      }
      var rawInfos: [(String, [Int], UInt32, UInt64)] = []
      for i in 0..<Int(tensorCount) {
        let name = try c.readString("name of tensor \(i)")
        let dims = try c.read(UInt32.self, "rank of tensor '\(name)'")
        guard dims <= 8 else {
          throw GGUFError.invalidTensor(file: path, tensor: name, reason: "rank \(dims) exceeds 8")
        }
        var shape: [Int] = []
        for d in 0..<Int(dims) {
          let n = try c.read(UInt64.self, "dimension \(d) of tensor '\(name)'")
          guard n <= UInt64(Int.max) else {
            throw GGUFError.invalidTensor(
              file: path, tensor: name, reason: "dimension \(n) overflows")
          }
          shape.append(Int(n))
        }
        let type = try c.read(UInt32.self, "type of tensor '\(name)'")
        let offset = try c.read(UInt64.self, "offset of tensor '\(name)'")
        rawInfos.append((name, shape.reversed(), type, offset))
      }
      dataStart = (c.offset + alignment - 1) / alignment * alignment
      let dataSize = raw.count - dataStart
      for (name, shape, typeCode, offset) in rawInfos {
        guard let type = GGMLType(rawValue: typeCode) else {
          throw GGUFError.unsupportedTensorType(file: path, tensor: name, type: typeCode)
        }
        var count = 1
        for d in shape {
          let (p, overflow) = count.multipliedReportingOverflow(by: d)
          guard !overflow else {
            throw GGUFError.invalidTensor(
              file: path, tensor: name, reason: "shape \(shape) overflows")
          }
          count = p
        }
        guard let bytes = type.byteCount(elements: count) else {
          throw GGUFError.invalidTensor(
            file: path, tensor: name,
            reason:
              "\(count) elements are not whole \(type.name) blocks of \(type.blockSize), or overflow"
          )
        }
        guard offset % UInt64(alignment) == 0 else {
          throw GGUFError.invalidTensor(
            file: path, tensor: name, reason: "offset \(offset) is not \(alignment)-byte aligned")
        }
        guard dataSize >= 0, offset <= UInt64(dataSize), UInt64(bytes) <= UInt64(dataSize) - offset
        else {
          throw GGUFError.invalidTensor(
            file: path, tensor: name,
            reason:
              "data at offset \(offset) + \(bytes) bytes runs past the end of the \(max(dataSize, 0))-byte data section (file truncated?)"
          )
        }
        infos.append(
          TensorInfo(name: name, shape: shape, type: type, offset: Int(offset), byteCount: bytes))
      }
      fileVersion = version
    }
    self.version = fileVersion
    self.metadataKeys = keys
    self.metadata = metadata
    self.tensors = infos
    self.alignment = alignment
    self.dataStart = dataStart
    var index: [String: Int] = [:]
    for (i, t) in infos.enumerated() {
      guard index[t.name] == nil else {
        throw GGUFError.invalidTensor(file: path, tensor: t.name, reason: "appears twice")
      }
      index[t.name] = i
    }
    self.tensorIndex = index
  }

  static func readValue(type: UInt32, key: String, cursor c: inout ByteCursor, depth: Int) throws
    -> GGUFValue
  {
    switch type {
    case 0: return .uint8(try c.read(UInt8.self, "'\(key)'"))
    case 1: return .int8(try c.read(Int8.self, "'\(key)'"))
    case 2: return .uint16(try c.read(UInt16.self, "'\(key)'"))
    case 3: return .int16(try c.read(Int16.self, "'\(key)'"))
    case 4: return .uint32(try c.read(UInt32.self, "'\(key)'"))
    case 5: return .int32(try c.read(Int32.self, "'\(key)'"))
    case 6: return .float32(Float(bitPattern: try c.read(UInt32.self, "'\(key)'")))
    case 7:
      let b = try c.read(UInt8.self, "'\(key)'")
      guard b <= 1 else {
        throw GGUFError.invalidMetadata(
          file: c.file, key: key, reason: "bool byte \(b) is neither 0 nor 1")
      }
      return .bool(b == 1)
    case 8: return .string(try c.readString("'\(key)'"))
    case 9:
      guard depth < 4 else {
        throw GGUFError.invalidMetadata(file: c.file, key: key, reason: "arrays nested too deeply")
      }
      let elementType = try c.read(UInt32.self, "element type of '\(key)'")
      let count = try c.read(UInt64.self, "length of '\(key)'")
      guard count <= UInt64(c.bytes.count - c.offset) else {
        throw GGUFError.truncated(
          file: c.file, offset: c.offset, reading: "\(count) elements of '\(key)'")
      }
      var values: [GGUFValue] = []
      values.reserveCapacity(Int(count))
      for _ in 0..<Int(count) {
        values.append(try readValue(type: elementType, key: key, cursor: &c, depth: depth + 1))
      }
      return .array(elementType: elementType, values)
    case 10: return .uint64(try c.read(UInt64.self, "'\(key)'"))
    case 11: return .int64(try c.read(Int64.self, "'\(key)'"))
    case 12: return .float64(Double(bitPattern: try c.read(UInt64.self, "'\(key)'")))
    default:
      throw GGUFError.invalidMetadata(file: c.file, key: key, reason: "unknown value type \(type)")
    }
  }

  /// The tensor info named `name`.
  public func info(_ name: String) throws -> TensorInfo {
    guard let i = tensorIndex[name] else { throw GGUFError.missingTensor(file: path, tensor: name) }
    return tensors[i]
  }

  public func hasTensor(_ name: String) -> Bool { tensorIndex[name] != nil }

  /// Calls `body` with the raw bytes of tensor `name` (still quantized, mapped from disk).
  public func withRawBytes<R>(
    _ name: String, _ body: (TensorInfo, UnsafeRawBufferPointer) throws -> R
  ) throws -> R {
    let t = try info(name)
    return try data.withUnsafeBytes { raw in
      try body(
        t,
        UnsafeRawBufferPointer(
          rebasing: raw[(dataStart + t.offset)..<(dataStart + t.offset + t.byteCount)]))
    }
  }

  /// Tensor `name` dequantized to Float32, in row-major shape.
  public func tensor(_ name: String) throws -> Tensor {
    try withRawBytes(name) { info, bytes in
      Tensor(shape: info.shape) { out in
        Dequantize.run(
          info.type, source: bytes.baseAddress!, count: info.elementCount, into: out.baseAddress!)
      }
    }
  }

  // MARK: Typed metadata

  public func value(_ key: String) throws -> GGUFValue {
    guard let v = metadata[key] else { throw GGUFError.missingMetadata(file: path, key: key) }
    return v
  }

  public func int(_ key: String) throws -> Int {
    guard let n = try value(key).intValue else {
      throw GGUFError.invalidMetadata(file: path, key: key, reason: "expected an integer")
    }
    return n
  }

  public func float(_ key: String) throws -> Float {
    guard let x = try value(key).floatValue else {
      throw GGUFError.invalidMetadata(file: path, key: key, reason: "expected a number")
    }
    return x
  }

  public func string(_ key: String) throws -> String {
    guard let s = try value(key).stringValue else {
      throw GGUFError.invalidMetadata(file: path, key: key, reason: "expected a string")
    }
    return s
  }

  public func strings(_ key: String) throws -> [String] {
    try array(key, of: "strings") { $0.stringValue }
  }

  public func floats(_ key: String) throws -> [Float] {
    try array(key, of: "numbers") { $0.floatValue }
  }

  public func ints(_ key: String) throws -> [Int] {
    try array(key, of: "integers") { $0.intValue }
  }

  /// The array at `key`, every element converted by `element` (nil: the key's error).
  private func array<T>(_ key: String, of kind: String, _ element: (GGUFValue) -> T?) throws -> [T]
  {
    guard let a = try value(key).arrayValue else {
      throw GGUFError.invalidMetadata(file: path, key: key, reason: "expected an array")
    }
    return try a.map { v in
      guard let x = element(v) else {
        throw GGUFError.invalidMetadata(
          file: path, key: key, reason: "expected an array of \(kind)")
      }
      return x
    }
  }
}
