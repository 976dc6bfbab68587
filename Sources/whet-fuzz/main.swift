import Foundation
import WhetFuzz

// `make fuzz`: seeded mutation fuzzing of every reader of untrusted files.
//   whet-fuzz [ITERATIONS] [TARGET…]   (default 100000 per target, every target)
//   whet-fuzz --replay TARGET FILE      (runs one input, e.g. a left-behind crash)
// A crash leaves its input in `fuzz-crash-<target>.bin` in the working directory.
let arguments = Array(CommandLine.arguments.dropFirst())
let root0 = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
if arguments.first == "--replay", arguments.count == 3 {
  do {
    let target = try FuzzTarget.all(repositoryRoot: root0).first { $0.name == arguments[1] }
    guard let target else { throw CocoaError(.featureUnsupported) }
    let input = Array(try Data(contentsOf: URL(fileURLWithPath: arguments[2])))
    print(target.run(input) ? "accepted" : "rejected with an error")
    exit(0)
  } catch {
    FileHandle.standardError.write(Data("whet-fuzz: \(error)\n".utf8))
    exit(1)
  }
}
let iterations = arguments.first.flatMap(Int.init) ?? 100_000
let names = Set(arguments.filter { Int($0) == nil })
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()
do {
  for target in try FuzzTarget.all(repositoryRoot: root)
  where names.isEmpty || names.contains(target.name) {
    let crash = URL(fileURLWithPath: "fuzz-crash-\(target.name).bin")
    let report = FuzzRunner.run(target, iterations: iterations, seed: 2026, reproducer: crash)
    print(report)
    fflush(nil)
  }
} catch {
  FileHandle.standardError.write(Data("whet-fuzz: \(error)\n".utf8))
  exit(1)
}
