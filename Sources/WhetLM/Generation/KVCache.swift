import WhetNN
import WhetTensor

/// Keys and values of every layer for a batch of sequences, preallocated to `capacity`
/// positions: `[B, capacity, K·D]` per layer. Rows share one length (left padding keeps
/// them aligned; ``keyStart`` marks where each row's real tokens begin).
public struct KVCache {
  /// Rows currently held (shrinks as finished rows leave).
  public internal(set) var batch: Int
  public internal(set) var capacity: Int
  public let width: Int
  public internal(set) var keys: [Tensor]
  public internal(set) var values: [Tensor]
  /// Positions filled so far (the same for every row).
  public internal(set) var length = 0
  /// Per row, the first real (non-padding) position.
  public internal(set) var keyStart: [Int]

  public init(config: TransformerConfiguration, batch: Int, capacity: Int, keyStart: [Int]? = nil) {
    self.batch = batch
    self.capacity = capacity
    width = config.kvHeads * config.headDimension
    keys = (0..<config.layerCount).map { _ in
      Tensor.zeros([batch, capacity, config.kvHeads * config.headDimension])
    }
    values = keys
    self.keyStart = keyStart ?? [Int](repeating: 0, count: batch)
  }

  /// Writes `k`, `v` `[B·T, K·D]` of layer `layer` at positions `length ..< length + T`.
  mutating func store(layer: Int, k: Tensor, v: Tensor, count t: Int) {
    precondition(length + t <= capacity, "KV cache overflow: \(length) + \(t) > \(capacity)")
    let (w, cap, start, batch) = (width, capacity, length, batch)
    func write(_ dst: inout Tensor, _ src: Tensor) {
      src.withUnsafeBufferPointer { s in
        dst.withUnsafeMutableBufferPointer { d in
          for b in 0..<batch {
            (d.baseAddress! + (b * cap + start) * w).update(
              from: s.baseAddress! + b * t * w, count: t * w)
          }
        }
      }
    }
    write(&keys[layer], k)
    write(&values[layer], v)
  }

  mutating func advance(by t: Int) { length += t }

  /// This cache's rows followed by `other`'s, in a new cache whose capacity leaves room for
  /// `room` more positions (rows waiting to start join rows already decoding).
  ///
  /// Both are aligned on the right: every row's real tokens end at the new ``length``, which
  /// is the longest real row of either; leading positions that no row uses are dropped. A
  /// row's positions are counted from its ``keyStart``, which moves with its tokens, so each
  /// row attends and rotates exactly as before.
  public func appending(_ other: KVCache, room: Int) -> KVCache {
    precondition(width == other.width && keys.count == other.keys.count, "appending: shapes differ")
    let real =
      zip(keyStart, [Int](repeating: length, count: batch)).map { $1 - $0 }
      + other.keyStart.map { other.length - $0 }
    let newLength = real.max() ?? 0
    var merged = self
    merged.batch = batch + other.batch
    merged.capacity = newLength + room
    merged.length = newLength
    let shifts = [newLength - length, newLength - other.length]
    merged.keyStart = keyStart.map { $0 + shifts[0] } + other.keyStart.map { $0 + shifts[1] }
    let (w, cap) = (width, merged.capacity)
    func combine(_ a: Tensor, _ b: Tensor) -> Tensor {
      Tensor(shape: [merged.batch, cap, w]) { out in
        // Padding and unused positions are masked, but must not hold NaNs (0 · NaN is NaN).
        out.update(repeating: 0)
        for (part, (source, first)) in [(a, 0), (b, batch)].enumerated() {
          let shift = shifts[part], rows = part == 0 ? batch : other.batch
          let sourceCapacity = part == 0 ? capacity : other.capacity
          let sourceLength = part == 0 ? length : other.length
          let from = max(0, -shift)
          guard sourceLength > from else { continue }
          source.withUnsafeBufferPointer { src in
            for r in 0..<rows {
              (out.baseAddress! + ((first + r) * cap + from + shift) * w).update(
                from: src.baseAddress! + (r * sourceCapacity + from) * w,
                count: (sourceLength - from) * w)
            }
          }
        }
      }
    }
    merged.keys = zip(keys, other.keys).map(combine)
    merged.values = zip(values, other.values).map(combine)
    return merged
  }

  /// Keeps only the rows `rows` (finished sequences leave the batch).
  public mutating func keepRows(_ rows: [Int]) {
    let (w, cap) = (width, capacity)
    func select(_ t: Tensor) -> Tensor {
      Tensor(shape: [rows.count, cap, w]) { out in
        t.withUnsafeBufferPointer { src in
          for (i, r) in rows.enumerated() {
            (out.baseAddress! + i * cap * w).update(
              from: src.baseAddress! + r * cap * w, count: cap * w)
          }
        }
      }
    }
    keys = keys.map(select)
    values = values.map(select)
    keyStart = rows.map { keyStart[$0] }
    batch = rows.count
  }
}
