import WhetNN
import WhetTensor

/// Keys and values of every layer for a batch of sequences, preallocated to `capacity`
/// positions: `[B, capacity, K·D]` per layer. Rows share one length (left padding keeps
/// them aligned; ``keyStart`` marks where each row's real tokens begin).
public struct KVCache {
  /// Rows currently held (shrinks as finished rows leave).
  public internal(set) var batch: Int
  public let capacity: Int
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
