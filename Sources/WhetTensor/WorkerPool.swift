import CKernels
import Foundation
import Synchronization

/// The threads behind ``parallelFor(_:minimumPerTask:tasksPerWorker:_:)``: `workerCount − 1`
/// long-lived workers plus the calling thread.
///
/// Decoding runs about 200 short kernels per token, each a few microseconds of work per
/// core. Handing each to Dispatch woke a parked thread through the kernel every time (perf:
/// 11 % of `generate.batch1` in the scheduler). Workers here spin for up to
/// ``spinNanoseconds`` after each job, catching the next kernel without a system call, and
/// then park on a condition variable, so they leave the cores to OpenBLAS's threads during
/// long GEMMs.
///
/// One job runs at a time. A call made while a job runs (from inside a job, or from another
/// thread) goes to Dispatch as before, so nesting cannot deadlock.
@usableFromInline final class WorkerPool: @unchecked Sendable {
  /// The body of one call, owned by the calling thread alone: `parallelFor` passes a
  /// closure that must not outlive the call (`withoutActuallyEscaping` checks), and a worker
  /// may still hold the ``Job`` after it returns.
  final class Body {
    let run: @Sendable (Int) -> Void
    init(_ run: @escaping @Sendable (Int) -> Void) { self.run = run }
  }

  /// One `parallelFor` call: tickets `0..<count` handed out once each.
  final class Job: @unchecked Sendable {
    let body: Unmanaged<Body>
    let count: Int
    let next = Atomic<Int>(0)
    let done = Atomic<Int>(0)

    init(count: Int, body: Unmanaged<Body>) {
      self.count = count
      self.body = body
    }

    /// Runs tickets until none is left. The body is reached only while a ticket is
    /// outstanding, so only while the caller waits and keeps it alive.
    func work() {
      while true {
        let ticket = next.add(1, ordering: .relaxed).oldValue
        if ticket >= count { return }
        body._withUnsafeGuaranteedRef { $0.run(ticket) }
        done.add(1, ordering: .releasing)
      }
    }
  }

  /// How long an idle worker spins before it parks.
  static let spinNanoseconds: UInt64 = 100_000

  @usableFromInline static let shared = WorkerPool(threads: Parallelism.workerCount - 1)

  let busy = Atomic<Bool>(false)
  let generation = Atomic<Int>(0)
  let sleeping = Atomic<Int>(0)
  let current = Mutex<Job?>(nil)
  let wake = NSCondition()
  let threads: Int

  init(threads: Int) {
    self.threads = max(0, threads)
    for _ in 0..<self.threads {
      let thread = Thread { [unowned self] in self.workerLoop() }
      thread.stackSize = 1 << 20
      thread.start()
    }
  }

  func workerLoop() {
    var seen = 0
    while true {
      var spun = 0
      var start: UInt64 = 0
      while generation.load(ordering: .acquiring) == seen {
        spun += 1
        whet_cpu_relax()
        if spun & 255 != 0 { continue }
        let now = DispatchTime.now().uptimeNanoseconds
        if start == 0 { start = now }
        if now - start < Self.spinNanoseconds { continue }
        wake.lock()
        sleeping.add(1, ordering: .sequentiallyConsistent)
        while generation.load(ordering: .sequentiallyConsistent) == seen { wake.wait() }
        sleeping.subtract(1, ordering: .sequentiallyConsistent)
        wake.unlock()
      }
      seen = generation.load(ordering: .acquiring)
      if let job = current.withLock({ $0 }) { job.work() }
    }
  }

  /// Runs `body(t)` for every `t` in `0..<tasks` across the pool and the calling thread.
  @usableFromInline func run(tasks: Int, _ body: @escaping @Sendable (Int) -> Void) {
    guard threads > 0,
      busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
    else {
      DispatchQueue.concurrentPerform(iterations: tasks, execute: body)
      return
    }
    let owned = Body(body)
    defer { withExtendedLifetime(owned) {} }
    let job = Job(count: tasks, body: Unmanaged.passUnretained(owned))
    current.withLock { $0 = job }
    generation.add(1, ordering: .sequentiallyConsistent)
    if sleeping.load(ordering: .sequentiallyConsistent) > 0 {
      wake.lock()
      wake.broadcast()
      wake.unlock()
    }
    job.work()
    while job.done.load(ordering: .acquiring) < tasks { whet_cpu_relax() }
    current.withLock { $0 = nil }
    busy.store(false, ordering: .releasing)
  }
}
