import Foundation
import WhetNN
import WhetTensor

/// Builds a GGUF v3 file: metadata in insertion order, then tensor infos, then the data,
/// each tensor aligned to `general.alignment` (32).
public struct GGUFWriter {
  public private(set) var metadata: [(key: String, value: GGUFValue)] = []
  var tensors: [(name: String, type: GGMLType, shape: [Int], bytes: Data)] = []
  public let alignment = 32

  public init() {}

  public mutating func setMetadata(_ key: String, _ value: GGUFValue) {
    if let i = metadata.firstIndex(where: { $0.key == key }) {
      metadata[i].value = value
    } else {
      metadata.append((key, value))
    }
  }

  /// Adds a Float32 tensor (row-major `shape`).
  public mutating func addTensor(_ name: String, _ tensor: Tensor) {
    let bytes = tensor.withUnsafeBufferPointer { Data(buffer: $0) }
    addTensor(name, type: .f32, shape: tensor.shape, bytes: bytes)
  }

  /// Adds a tensor already encoded as `type` (for example blocks copied from another file).
  public mutating func addTensor(_ name: String, type: GGMLType, shape: [Int], bytes: Data) {
    precondition(
      type.byteCount(elements: shape.reduce(1, *)) == bytes.count,
      "GGUFWriter: \(bytes.count) bytes do not hold \(shape) of \(type.name)")
    precondition(!tensors.contains { $0.name == name }, "GGUFWriter: tensor '\(name)' added twice")
    tensors.append((name, type, shape, bytes))
  }

  /// The file's bytes.
  public func encode() -> Data {
    var out = Data()
    func put<T: FixedWidthInteger>(_ v: T) {
      withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) }
    }
    func putString(_ s: String) {
      put(UInt64(s.utf8.count))
      out.append(contentsOf: Array(s.utf8))
    }
    func putValue(_ v: GGUFValue) {
      switch v {
      case .uint8(let x): put(x)
      case .int8(let x): put(x)
      case .uint16(let x): put(x)
      case .int16(let x): put(x)
      case .uint32(let x): put(x)
      case .int32(let x): put(x)
      case .uint64(let x): put(x)
      case .int64(let x): put(x)
      case .float32(let x): put(x.bitPattern)
      case .float64(let x): put(x.bitPattern)
      case .bool(let b): put(UInt8(b ? 1 : 0))
      case .string(let s): putString(s)
      case .array(let elementType, let values):
        put(elementType)
        put(UInt64(values.count))
        for e in values { putValue(e) }
      }
    }
    var entries = metadata
    if !entries.contains(where: { $0.key == "general.alignment" }) {
      entries.append(("general.alignment", .uint32(UInt32(alignment))))
    }
    out.append(contentsOf: Array("GGUF".utf8))
    put(UInt32(3))
    put(UInt64(tensors.count))
    put(UInt64(entries.count))
    for (key, value) in entries {
      putString(key)
      put(value.typeCode)
      putValue(value)
    }
    var offset = 0
    var offsets: [Int] = []
    for t in tensors {
      offsets.append(offset)
      offset = (offset + t.bytes.count + alignment - 1) / alignment * alignment
    }
    for (t, o) in zip(tensors, offsets) {
      putString(t.name)
      put(UInt32(t.shape.count))
      for d in t.shape.reversed() { put(UInt64(d)) }  // GGUF lists the fastest axis first
      put(t.type.rawValue)
      put(UInt64(o))
    }
    func pad() { while out.count % alignment != 0 { out.append(0) } }
    pad()
    for t in tensors {
      out.append(t.bytes)
      pad()
    }
    return out
  }

  /// Writes the file atomically (temporary name, then rename).
  public func write(to url: URL) throws { try AtomicFile.write(encode(), to: url) }
}
