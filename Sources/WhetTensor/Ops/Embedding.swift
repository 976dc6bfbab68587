/// Row gather from an embedding table, and its scatter-add backward.

extension Tensor {
  /// Rows `ids` of `table` `[V, C]`, giving `[ids.count, C]`.
  public static func gatherRows(_ table: Tensor, ids: [Int]) -> Tensor {
    let c = table.lastDimension, v = table.rowCount
    return Tensor(shape: [ids.count, c]) { out in
      table.withUnsafeBufferPointer { pt in
        for (n, id) in ids.enumerated() {
          precondition(id >= 0 && id < v, "token id \(id) outside vocabulary of \(v)")
          (out.baseAddress! + n * c).update(from: pt.baseAddress! + id * c, count: c)
        }
      }
    }
  }
}

/// Embedding lookup: `table` `[V, C]`, `ids` `[N]` → `[N, C]`.
/// Backward: `dtable[ids[n]] += g[n]` (repeated ids accumulate).
public func embedding(_ table: Variable, ids: [Int]) -> Variable {
  let tv = table.value
  return Variable.result(Tensor.gatherRows(tv, ids: ids), inputs: [table]) { g in
    let c = tv.lastDimension
    var dt = Tensor.zeros(tv.shape)
    dt.withUnsafeMutableBufferPointer { pd in
      g.withUnsafeBufferPointer { pg in
        for (n, id) in ids.enumerated() {
          axpy(1, pg.baseAddress! + n * c, pd.baseAddress! + id * c, c)
        }
      }
    }
    table.accumulateGradient(dt)
  }
}
