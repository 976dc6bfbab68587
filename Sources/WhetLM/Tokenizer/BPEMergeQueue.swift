/// A min-heap of candidate merges, ordered by merge rank, then by position (leftmost first),
/// as `tokenizers`' `Word::merge_all` orders them.
struct BPEMergeQueue {
  struct Entry {
    var rank: Int32
    var position: Int32
    var newID: Int32

    @inline(__always)
    static func precedes(_ a: Entry, _ b: Entry) -> Bool {
      a.rank != b.rank ? a.rank < b.rank : a.position < b.position
    }
  }

  private var heap: [Entry] = []

  init(capacity: Int) { heap.reserveCapacity(capacity) }

  var isEmpty: Bool { heap.isEmpty }

  mutating func push(_ entry: Entry) {
    heap.append(entry)
    var child = heap.count - 1
    while child > 0 {
      let parent = (child - 1) / 2
      guard Entry.precedes(heap[child], heap[parent]) else { break }
      heap.swapAt(child, parent)
      child = parent
    }
  }

  mutating func pop() -> Entry? {
    guard let last = heap.popLast() else { return nil }
    guard !heap.isEmpty else { return last }
    let top = heap[0]
    heap[0] = last
    var parent = 0
    let count = heap.count
    while true {
      let left = 2 * parent + 1
      guard left < count else { break }
      var best = left
      let right = left + 1
      if right < count && Entry.precedes(heap[right], heap[left]) { best = right }
      guard Entry.precedes(heap[best], heap[parent]) else { break }
      heap.swapAt(best, parent)
      parent = best
    }
    return top
  }
}
