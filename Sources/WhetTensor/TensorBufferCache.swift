import Foundation
import Synchronization

/// Freed tensor buffers of 1 MiB and more, kept for reuse by exact size (a caching allocator,
/// as PyTorch keeps for CUDA memory).
///
/// A training step allocates the same large activations and gradients every step. Returned
/// to the system and asked for again, each costs page faults and the kernel's zeroing of
/// every page (`clear_page_erms`: 4–9 % of a SmolLM2 forward+backward step in `perf`); kept
/// here, the next step's tensor of that size reuses it. At most ``capacity`` bytes are kept;
/// beyond it the longest-kept buffers are freed first. `WHET_TENSOR_CACHE_MB` sets the
/// capacity in MiB (default 1024; 0 turns the cache off).
enum TensorBufferCache {
  /// Every cached buffer (size and address, sendable into the lock), oldest first.
  struct Pool: ~Copyable {
    var order: [(size: Int, address: UInt)] = []
    var bytes = 0

    /// The most recently kept buffer of `size` bytes, if any.
    mutating func take(_ size: Int) -> UInt? {
      guard let i = order.lastIndex(where: { $0.size == size }) else { return nil }
      bytes -= size
      return order.remove(at: i).address
    }

    /// Keeps the buffer at `address`, first freeing the longest-kept buffers while it would
    /// exceed `capacity` (sizes that stop recurring age out).
    mutating func keep(_ address: UInt, _ size: Int, capacity: Int) {
      while bytes + size > capacity, !order.isEmpty {
        let oldest = order.removeFirst()
        bytes -= oldest.size
        UnsafeMutableRawPointer(bitPattern: oldest.address)!.deallocate()
      }
      order.append((size, address))
      bytes += size
    }
  }

  static let minimumBytes = 1 << 20
  static let alignment = 64

  /// Bytes of free buffers kept at most.
  static let capacity: Int = {
    if let s = ProcessInfo.processInfo.environment["WHET_TENSOR_CACHE_MB"], let mb = Int(s),
      mb >= 0
    {
      return mb << 20
    }
    return 1 << 30
  }()

  static let pool = Mutex(Pool())

  /// A 64-byte aligned buffer of `size` bytes, reused when one of that size is cached.
  static func allocate(_ size: Int) -> UnsafeMutableRawPointer {
    if size >= minimumBytes, size <= capacity, let address = pool.withLock({ $0.take(size) }) {
      return UnsafeMutableRawPointer(bitPattern: address)!
    }
    return .allocate(byteCount: size, alignment: alignment)
  }

  /// Returns a buffer from ``allocate(_:)`` of `size` bytes.
  static func release(_ p: UnsafeMutableRawPointer, _ size: Int) {
    guard size >= minimumBytes, size <= capacity else { return p.deallocate() }
    let address = UInt(bitPattern: p)
    pool.withLock { $0.keep(address, size, capacity: capacity) }
  }
}
