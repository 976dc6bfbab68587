import Testing

@testable import WhetTensor

/// The pool behind ``TensorBufferCache``: a freed buffer comes back for the same size only,
/// and past the capacity the longest-kept buffers are freed first.
@Suite struct TensorBufferCacheTests {
  func buffer(_ size: Int) -> UInt {
    UInt(bitPattern: UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 64))
  }

  @Test func reusesBySizeAndEvictsTheOldestFirst() {
    var pool = TensorBufferCache.Pool()
    let (a, b, c) = (buffer(100), buffer(200), buffer(100))
    pool.keep(a, 100, capacity: 400)
    pool.keep(b, 200, capacity: 400)
    #expect(pool.take(300) == nil)
    #expect(pool.take(100) == a)
    #expect(pool.take(100) == nil)
    pool.keep(a, 100, capacity: 400)
    pool.keep(c, 100, capacity: 400)
    #expect(pool.bytes == 400)
    // 250 more bytes: b (kept first) and then a are freed; c stays.
    let d = buffer(250)
    pool.keep(d, 250, capacity: 400)
    #expect(pool.bytes == 350)
    #expect(pool.take(200) == nil)
    #expect(pool.take(100) == c)
    #expect(pool.take(100) == nil)
    #expect(pool.take(250) == d)
    #expect(pool.bytes == 0)
    for address in [c, d] { UnsafeMutableRawPointer(bitPattern: address)!.deallocate() }
  }
}
