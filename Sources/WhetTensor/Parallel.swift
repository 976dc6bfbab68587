import Dispatch
import Foundation

/// Runs `body` over `0..<count` split into contiguous ranges, one per worker, on all cores.
///
/// The split depends only on `count` and the core count, and each index is handled exactly
/// once, so kernels that write disjoint outputs give the same result for any thread count.
/// Work smaller than `minimumPerTask` runs on the calling thread. Never call a threaded BLAS
/// routine inside `body`.
/// `tasksPerWorker` > 1 balances uneven work; 1 keeps thread hand-offs to the minimum for
/// short kernels (decoding runs hundreds of them per token).
@inlinable public func parallelFor(
  _ count: Int, minimumPerTask: Int = 1, tasksPerWorker: Int = 4, _ body: (Range<Int>) -> Void
) {
  if count <= 0 { return }
  let workers = Parallelism.workerCount
  let tasks = min(workers * tasksPerWorker, max(1, count / max(minimumPerTask, 1)))
  if tasks <= 1 {
    body(0..<count)
    return
  }
  withoutActuallyEscaping(body) { escaping in
    let sendable = unsafeBitCast(escaping, to: (@Sendable (Range<Int>) -> Void).self)
    WorkerPool.shared.run(tasks: tasks) { t in
      let lo = count * t / tasks
      let hi = count * (t + 1) / tasks
      if lo < hi { sendable(lo..<hi) }
    }
  }
}

/// How many worker threads the elementwise and attention kernels use.
public enum Parallelism {
  /// `WHET_THREADS` if set, else the number of active processors.
  public static let workerCount: Int = {
    if let s = ProcessInfo.processInfo.environment["WHET_THREADS"], let n = Int(s), n > 0 {
      return n
    }
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
  }()
}
