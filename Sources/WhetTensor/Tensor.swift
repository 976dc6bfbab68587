/// Legend used in shape comments throughout Whetstone:
/// `B` batch, `T` time (sequence), `C` channels (hidden size), `V` vocabulary,
/// `H` query heads, `K` key/value heads, `D` head dimension, `F` feed-forward size, `N` rows.

/// A reference-counted, 64-byte aligned buffer of `Float`s (large ones reused through
/// ``TensorBufferCache``).
///
/// `Tensor` shares one of these between reshaped views and copies it before a write when
/// it is not uniquely referenced (copy on write).
public final class TensorStorage: @unchecked Sendable {
  public let pointer: UnsafeMutablePointer<Float>
  public let count: Int

  public init(count: Int) {
    precondition(count >= 0, "negative element count")
    self.count = count
    let raw = TensorBufferCache.allocate(max(count, 1) * MemoryLayout<Float>.stride)
    self.pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
    AllocationStatistics.allocated(max(count, 1) * MemoryLayout<Float>.stride)
  }

  deinit {
    TensorBufferCache.release(
      UnsafeMutableRawPointer(pointer), max(count, 1) * MemoryLayout<Float>.stride)
    AllocationStatistics.freed(max(count, 1) * MemoryLayout<Float>.stride)
  }
}

/// A dense, contiguous, row-major tensor of `Float32` with value semantics.
///
/// Reshaping is free (the storage is shared). Mutation goes through
/// ``withUnsafeMutableBufferPointer(_:)``, which copies shared storage first.
public struct Tensor: @unchecked Sendable, CustomStringConvertible {
  public private(set) var shape: [Int]
  @usableFromInline internal var storage: TensorStorage

  /// A tensor of the given shape whose elements are all `value`.
  public init(shape: [Int], repeating value: Float = 0) {
    let n = Tensor.elementCount(shape)
    self.shape = shape
    self.storage = TensorStorage(count: n)
    storage.pointer.initialize(repeating: value, count: n)
  }

  /// A tensor of the given shape holding `scalars` in row-major order.
  public init(shape: [Int], scalars: [Float]) {
    let n = Tensor.elementCount(shape)
    precondition(n == scalars.count, "shape \(shape) needs \(n) scalars, got \(scalars.count)")
    self.shape = shape
    self.storage = TensorStorage(count: n)
    scalars.withUnsafeBufferPointer { storage.pointer.update(from: $0.baseAddress!, count: n) }
  }

  /// A scalar (rank-0) tensor.
  public init(_ value: Float) { self.init(shape: [], scalars: [value]) }

  /// A tensor of the given shape whose contents are written by `fill` (uninitialised before).
  public init(shape: [Int], fill: (UnsafeMutableBufferPointer<Float>) throws -> Void) rethrows {
    let n = Tensor.elementCount(shape)
    self.shape = shape
    self.storage = TensorStorage(count: n)
    try fill(UnsafeMutableBufferPointer(start: storage.pointer, count: n))
  }

  @usableFromInline init(shape: [Int], storage: TensorStorage) {
    self.shape = shape
    self.storage = storage
  }

  public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }
  public static func ones(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 1) }

  /// Elements drawn from N(mean, std²) with the given generator (Box–Muller).
  public static func randomNormal(
    _ shape: [Int], mean: Float = 0, std: Float = 1, using rng: inout SeededGenerator
  ) -> Tensor {
    Tensor(shape: shape) { buf in
      for i in 0..<buf.count { buf[i] = mean + std * rng.nextNormal() }
    }
  }

  /// Elements drawn uniformly from [low, high).
  public static func randomUniform(
    _ shape: [Int], low: Float = 0, high: Float = 1, using rng: inout SeededGenerator
  ) -> Tensor {
    Tensor(shape: shape) { buf in
      for i in 0..<buf.count { buf[i] = low + (high - low) * rng.nextUniform() }
    }
  }

  @inlinable public static func elementCount(_ shape: [Int]) -> Int {
    var n = 1
    for d in shape {
      precondition(d >= 0, "negative dimension in shape \(shape)")
      n *= d
    }
    return n
  }

  @inlinable public var count: Int { storage.count }
  @inlinable public var rank: Int { shape.count }
  /// The size of the last axis (1 for a scalar).
  @inlinable public var lastDimension: Int { shape.last ?? 1 }
  /// The product of every axis but the last.
  @inlinable public var rowCount: Int { lastDimension == 0 ? 0 : count / lastDimension }

  /// The same elements under another shape. `-1` in one place is inferred. Shares storage.
  public func reshaped(_ newShape: [Int]) -> Tensor {
    var resolved = newShape
    if let i = newShape.firstIndex(of: -1) {
      let known = newShape.enumerated().filter { $0.offset != i }.reduce(1) { $0 * $1.element }
      precondition(known > 0 && count % known == 0, "cannot reshape \(shape) to \(newShape)")
      resolved[i] = count / known
    }
    precondition(
      Tensor.elementCount(resolved) == count, "cannot reshape \(shape) to \(newShape)")
    return Tensor(shape: resolved, storage: storage)
  }

  /// Read-only access to the elements.
  @inlinable public func withUnsafeBufferPointer<R>(
    _ body: (UnsafeBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    try body(UnsafeBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// Mutable access to the elements; copies the storage first if another tensor shares it.
  @inlinable public mutating func withUnsafeMutableBufferPointer<R>(
    _ body: (UnsafeMutableBufferPointer<Float>) throws -> R
  ) rethrows -> R {
    if !isKnownUniquelyReferenced(&storage) {
      let copy = TensorStorage(count: storage.count)
      copy.pointer.update(from: storage.pointer, count: storage.count)
      storage = copy
    }
    return try body(UnsafeMutableBufferPointer(start: storage.pointer, count: storage.count))
  }

  /// The elements in row-major order.
  public var scalars: [Float] { withUnsafeBufferPointer { Array($0) } }

  /// The single element of a tensor with one element.
  public var item: Float {
    precondition(count == 1, "item needs one element, shape is \(shape)")
    return storage.pointer[0]
  }

  /// Element at a flat (row-major) index.
  public subscript(flat index: Int) -> Float {
    get {
      precondition(index >= 0 && index < count, "flat index \(index) out of range \(count)")
      return storage.pointer[index]
    }
    set {
      precondition(index >= 0 && index < count, "flat index \(index) out of range \(count)")
      withUnsafeMutableBufferPointer { $0[index] = newValue }
    }
  }

  /// Element at a multi-dimensional index.
  public subscript(_ index: Int...) -> Float {
    get { self[flat: flatIndex(index)] }
    set { self[flat: flatIndex(index)] = newValue }
  }

  func flatIndex(_ index: [Int]) -> Int {
    precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
    var flat = 0
    for (i, d) in zip(index, shape) {
      precondition(i >= 0 && i < d, "index \(index) out of range for shape \(shape)")
      flat = flat * d + i
    }
    return flat
  }

  /// Adds `other` (same element count) into this tensor: `self += scale * other`.
  public mutating func add(_ other: Tensor, scale: Float = 1) {
    precondition(other.count == count, "add: \(other.shape) into \(shape)")
    let src = other.storage.pointer
    withUnsafeMutableBufferPointer { dst in
      let n = dst.count
      for i in 0..<n { dst[i] += scale * src[i] }
    }
  }

  /// Multiplies every element by `factor` in place.
  public mutating func scale(by factor: Float) {
    withUnsafeMutableBufferPointer { dst in
      for i in 0..<dst.count { dst[i] *= factor }
    }
  }

  /// True when no element is NaN or infinite.
  public var isFinite: Bool {
    withUnsafeBufferPointer { buf in buf.allSatisfy { $0.isFinite } }
  }

  public var description: String {
    let preview = scalars.prefix(8).map { String($0) }.joined(separator: ", ")
    return "Tensor(\(shape): [\(preview)\(count > 8 ? ", …" : "")])"
  }
}
