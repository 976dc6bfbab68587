import ArgumentParser
import Foundation
import Yams

/// `--config run.yaml`: a YAML mapping whose keys are the command's flags in snake case
/// (`learning_rate: 1e-4`, `loss_type: [sigmoid, sft]`; nested mappings join with `_`, so
/// `lora: {rank: 8}` is `--lora-rank 8`). Flags given on the command line win over the file.
/// A key that names no flag of the command is an error, as any unknown flag is.
enum ConfigFile {
  struct Invalid: Error, CustomStringConvertible {
    var file: String
    var reason: String
    var description: String { "\(file): \(reason)" }
  }

  static func expand(_ arguments: [String]) throws -> [String] {
    guard let index = arguments.firstIndex(of: "--config") else { return arguments }
    guard index + 1 < arguments.count else {
      throw ValidationError("--config needs a YAML file")
    }
    let path = arguments[index + 1]
    let rest = Array(arguments[..<index]) + Array(arguments[(index + 2)...])
    let given = Set(
      rest.filter { $0.hasPrefix("--") }.map {
        $0.split(separator: "=").first.map(String.init) ?? $0
      })
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
      throw Invalid(file: path, reason: "cannot be read")
    }
    let parsed: Any?
    do { parsed = try Yams.load(yaml: text) } catch {
      throw Invalid(file: path, reason: "is not valid YAML: \(error)")
    }
    guard let mapping = parsed as? [String: Any] else {
      throw Invalid(file: path, reason: "must be a mapping of flag names to values")
    }
    var flags: [String] = []
    func add(_ key: String, _ value: Any) throws {
      if let nested = value as? [String: Any] {
        for (k, v) in nested.sorted(by: { $0.key < $1.key }) { try add(key + "_" + k, v) }
        return
      }
      let flag = "--" + key.replacingOccurrences(of: "_", with: "-")
      if given.contains(flag) { return }
      switch value {
      case let b as Bool:
        if b { flags.append(flag) }
      case let list as [Any]:
        for item in list { flags += [flag, "\(item)"] }
      case is NSNull:
        return
      default:
        flags += [flag, "\(value)"]
      }
    }
    for (key, value) in mapping.sorted(by: { $0.key < $1.key }) { try add(key, value) }
    // The file's flags go right after the subcommand words, before those on the command line.
    let firstFlag = rest.firstIndex { $0.hasPrefix("-") } ?? rest.count
    return Array(rest[..<firstFlag]) + flags + Array(rest[firstFlag...])
  }
}
