import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Musl)
  import Musl
#elseif canImport(Darwin)
  import Darwin
#endif

/// A cgroup made for one sandboxed run, capping its process count and memory (cgroup v2, or
/// the v1 `pids` and `memory` hierarchies), beneath the cgroups this process is in. Made only
/// where this process may create cgroups (root, or a delegated subtree); otherwise the run
/// relies on the per-process limits alone and ``SandboxIsolation/cgroup`` says so.
struct SandboxCgroup {
  /// The directories made, which the run's processes join through `cgroup.procs`.
  let directories: [String]
  /// Where the memory controller's failure count lives.
  private let memoryEvents: (path: String, key: String?)?

  var procsFiles: [String] { directories.map { $0 + "/cgroup.procs" } }

  /// A fresh cgroup named `name` with `pids` ≤ `processes` and memory ≤ `memoryBytes`
  /// (swap included where the kernel accounts it); nil when none can be made here.
  static func make(name: String, processes: Int, memoryBytes: Int) -> SandboxCgroup? {
    #if os(Linux)
      let memberships = (try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)) ?? ""
      var unified: String?
      var v1: [String: String] = [:]
      for line in memberships.split(separator: "\n") {
        let parts = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3 else { continue }
        if parts[0] == "0" && parts[1].isEmpty { unified = String(parts[2]) }
        for controller in parts[1].split(separator: ",") {
          v1[String(controller)] = String(parts[2])
        }
      }
      let root = "/sys/fs/cgroup"
      if let own = unified, access(root + "/cgroup.controllers", F_OK) == 0 {
        return makeV2(base: root + own, name: name, processes: processes, memoryBytes: memoryBytes)
      }
      guard let pidsPath = v1["pids"], let memoryPath = v1["memory"],
        access(root + "/pids", W_OK) == 0, access(root + "/memory", W_OK) == 0
      else { return nil }
      let pids = root + "/pids" + pidsPath + "/" + name
      let memory = root + "/memory" + memoryPath + "/" + name
      guard mkdir(pids, 0o755) == 0 else { return nil }
      guard mkdir(memory, 0o755) == 0 else {
        rmdir(pids)
        return nil
      }
      let made = SandboxCgroup(
        directories: [pids, memory], memoryEvents: (memory + "/memory.failcnt", nil))
      let bytes = String(memoryBytes)
      guard put(String(processes), to: pids + "/pids.max"),
        put(bytes, to: memory + "/memory.limit_in_bytes")
      else {
        made.remove()
        return nil
      }
      if access(memory + "/memory.memsw.limit_in_bytes", F_OK) == 0 {
        _ = put(bytes, to: memory + "/memory.memsw.limit_in_bytes")
      }
      return made
    #else
      return nil
    #endif
  }

  private static func makeV2(base: String, name: String, processes: Int, memoryBytes: Int)
    -> SandboxCgroup?
  {
    let controllers =
      (try? String(contentsOfFile: base + "/cgroup.subtree_control", encoding: .utf8)) ?? ""
    if !(controllers.contains("pids") && controllers.contains("memory")) {
      guard put("+pids +memory", to: base + "/cgroup.subtree_control") else { return nil }
    }
    let directory = base + "/" + name
    guard mkdir(directory, 0o755) == 0 else { return nil }
    let made = SandboxCgroup(
      directories: [directory], memoryEvents: (directory + "/memory.events", "oom"))
    guard put(String(processes), to: directory + "/pids.max"),
      put(String(memoryBytes), to: directory + "/memory.max")
    else {
      made.remove()
      return nil
    }
    _ = put("0", to: directory + "/memory.swap.max")
    return made
  }

  /// Whether the memory cap was reached during the run.
  func memoryLimitReached() -> Bool {
    guard let memoryEvents,
      let text = try? String(contentsOfFile: memoryEvents.path, encoding: .utf8)
    else { return false }
    guard let key = memoryEvents.key else {
      return (Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0) > 0
    }
    for line in text.split(separator: "\n") {
      let fields = line.split(separator: " ")
      if fields.count == 2, fields[0] == key || fields[0] == "oom_kill", (Int(fields[1]) ?? 0) > 0 {
        return true
      }
    }
    return false
  }

  /// Removes the directories, waiting briefly for the kernel to finish with exited processes.
  func remove() {
    for directory in directories {
      for _ in 0..<100 {
        if rmdir(directory) == 0 || errno == ENOENT { break }
        usleep(10_000)
      }
    }
  }

  private static func put(_ text: String, to path: String) -> Bool {
    let fd = open(path, O_WRONLY | O_CLOEXEC)
    guard fd >= 0 else { return false }
    defer { close(fd) }
    return text.withCString { write(fd, $0, strlen($0)) } >= 0
  }
}
