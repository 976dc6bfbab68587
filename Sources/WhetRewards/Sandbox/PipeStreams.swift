#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// One output pipe: what has been read, up to a cap.
struct PipeReader {
  let fd: Int32
  let cap: Int
  var data: [UInt8] = []
  var closed = false
  var overflowed = false

  init(fd: Int32, cap: Int) {
    self.fd = fd
    self.cap = cap
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
  }

  /// Reads once (the descriptor was reported readable, so this does not block); closes on EOF.
  /// Never stores more than `cap` bytes: reading stops at the cap and marks the overflow.
  mutating func readAvailable() {
    var buffer = [UInt8](repeating: 0, count: 65536)
    let room = max(0, cap - data.count)
    let want = min(buffer.count, room + 1)  // one byte past the cap reveals an overflow
    let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, want) }
    if n > 0 {
      data.append(contentsOf: buffer[0..<min(n, room)])
      if n > room { overflowed = true }
    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
      closeNow()
    }
  }

  mutating func closeNow() {
    guard !closed else { return }
    close(fd)
    closed = true
  }
}

/// One input pipe fed without blocking: the bytes not yet written.
struct PipeWriter {
  let fd: Int32
  var pending: [UInt8]
  var closed = false

  init(fd: Int32, data: [UInt8]) {
    self.fd = fd
    self.pending = data
    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    if data.isEmpty { closeNow() }
  }

  /// Writes what the pipe takes now; closes when everything is written or the reader is gone.
  mutating func writeAvailable() {
    let n = pending.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    if n > 0 {
      pending.removeFirst(n)
      if pending.isEmpty { closeNow() }
    } else if n < 0, errno != EINTR, errno != EAGAIN {
      closeNow()
    }
  }

  mutating func closeNow() {
    guard !closed else { return }
    close(fd)
    closed = true
  }
}

/// Polls readers and writers together for at most `timeoutMilliseconds`, serving each that
/// is ready.
func pollStreams(
  _ readers: inout [PipeReader], _ writers: inout [PipeWriter], timeoutMilliseconds: Int32
) {
  var fds: [pollfd] = []
  for r in readers where !r.closed {
    fds.append(pollfd(fd: r.fd, events: Int16(POLLIN), revents: 0))
  }
  for w in writers where !w.closed {
    fds.append(pollfd(fd: w.fd, events: Int16(POLLOUT), revents: 0))
  }
  guard !fds.isEmpty else {
    usleep(UInt32(max(0, timeoutMilliseconds)) * 1000)
    return
  }
  guard poll(&fds, nfds_t(fds.count), timeoutMilliseconds) > 0 else { return }
  for p in fds where p.revents != 0 {
    if let i = readers.firstIndex(where: { $0.fd == p.fd && !$0.closed }) {
      readers[i].readAvailable()
    } else if let i = writers.firstIndex(where: { $0.fd == p.fd && !$0.closed }) {
      if p.revents & Int16(POLLOUT) != 0 {
        writers[i].writeAvailable()
      } else {
        writers[i].closeNow()
      }
    }
  }
}
