/// Resource limits for one sandboxed run.
public struct SandboxLimits: Sendable, Equatable {
  /// Wall-clock limit; the whole process group is killed with `SIGKILL` when it passes.
  public var wallClockSeconds: Double
  /// CPU-time limit (`RLIMIT_CPU`; the kernel sends `SIGXCPU`, then `SIGKILL` a second later).
  public var cpuSeconds: Int
  /// Address-space limit per process (`RLIMIT_AS`; allocations beyond it fail with
  /// `MemoryError`), and the memory cap of the run's cgroup.
  public var memoryBytes: Int
  /// Processes of the run: its cgroup's `pids.max`, and `RLIMIT_NPROC` for the run's own uid.
  public var maxProcesses: Int
  /// Bytes kept from each of stdout and stderr; a run that writes more is killed.
  public var outputBytes: Int
  /// Largest file the code may write (`RLIMIT_FSIZE`).
  public var fileSizeBytes: Int
  /// Most open file descriptors (`RLIMIT_NOFILE`).
  public var openFiles: Int
  /// Size of each private tmpfs (`/tmp`, the working directory, and `/dev/shm`) of an
  /// isolated run: the run's disk.
  public var scratchBytes: Int

  /// Defaults sized for unit-test style problems: 10 s wall clock, 5 s CPU, 512 MiB, 32
  /// processes, 1 MiB of output per stream, 16 MiB files, 64 descriptors, 32 MiB of scratch.
  public init(
    wallClockSeconds: Double = 10, cpuSeconds: Int = 5, memoryBytes: Int = 512 << 20,
    maxProcesses: Int = 32,
    outputBytes: Int = 1 << 20, fileSizeBytes: Int = 16 << 20, openFiles: Int = 64,
    scratchBytes: Int = 32 << 20
  ) {
    self.wallClockSeconds = wallClockSeconds
    self.cpuSeconds = cpuSeconds
    self.memoryBytes = memoryBytes
    self.maxProcesses = maxProcesses
    self.outputBytes = outputBytes
    self.fileSizeBytes = fileSizeBytes
    self.openFiles = openFiles
    self.scratchBytes = scratchBytes
  }
}
