import Foundation

/// Writes files so a reader (or a run resumed after a kill) sees the old file or the new
/// one, never half of one: write a temporary sibling, flush it to disk, then rename.
public enum AtomicFile {
  public static func write(_ data: Data, to url: URL) throws {
    let dir = url.deletingLastPathComponent()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let temp = dir.appendingPathComponent(
      ".\(url.lastPathComponent).tmp-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
    )
    guard FileManager.default.createFile(atPath: temp.path, contents: nil) else {
      throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: temp.path])
    }
    do {
      let handle = try FileHandle(forWritingTo: temp)
      try handle.write(contentsOf: data)
      try handle.synchronize()
      try handle.close()
      if rename(temp.path, url.path) != 0 {
        throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path])
      }
    } catch {
      try? FileManager.default.removeItem(at: temp)
      throw error
    }
  }
}
