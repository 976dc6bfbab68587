import Foundation

/// The process's peak resident memory (Linux `VmHWM` in `/proc/self/status`), what
/// `/usr/bin/time -v` calls the maximum resident set size; nil where it cannot be read.
public enum PeakMemory {
  public static var residentBytes: Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") })
    else { return nil }
    let digits = line.split(separator: " ").compactMap { Int($0) }
    return digits.first.map { $0 * 1024 }
  }
}
