import Dispatch
import Synchronization
import Testing
import WhetTensor

/// `parallelFor` on the spinning worker pool: every index exactly once, for many short jobs
/// in a row (the hand-off the pool exists for), nested calls and calls from several threads.
@Suite struct WorkerPoolTests {
  /// Runs `parallelFor(count)` adding 1 to each index's own slot; returns the slots.
  static func visits(_ count: Int, minimumPerTask: Int = 1, tasksPerWorker: Int = 4) -> [Int] {
    var slots = [Int](repeating: 0, count: count)
    slots.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      parallelFor(count, minimumPerTask: minimumPerTask, tasksPerWorker: tasksPerWorker) { r in
        for i in r { base[i] += 1 }
      }
    }
    return slots
  }

  @Test func manyShortJobsVisitEveryIndexOnce() {
    for round in 0..<2000 {
      let count = 1 + round % 97
      let slots = Self.visits(count, tasksPerWorker: 1 + round % 4)
      if !slots.allSatisfy({ $0 == 1 }) {
        Issue.record("round \(round): \(slots)")
        return
      }
    }
  }

  @Test func nestedCallsComplete() {
    var totals = [Int](repeating: 0, count: 16)
    totals.withUnsafeMutableBufferPointer { p in
      let base = p.baseAddress!
      parallelFor(16) { outer in
        for i in outer { base[i] = Self.visits(50 + i).reduce(0, +) }
      }
    }
    #expect(totals == (0..<16).map { 50 + $0 })
  }

  final class Counter: Sendable {
    let value = Atomic<Int>(0)
  }

  @Test func callsFromSeveralThreadsAtOnce() {
    let failures = Counter()
    DispatchQueue.concurrentPerform(iterations: 4) { thread in
      for round in 0..<300 where !Self.visits(1 + (round * 7 + thread) % 61).allSatisfy({ $0 == 1 })
      {
        failures.value.add(1, ordering: .relaxed)
      }
    }
    #expect(failures.value.load(ordering: .relaxed) == 0)
  }
}
