/// Python functions checked by tests in the sandbox (the `code` verifier's `tests` column): a
/// task where a policy could try to game its reward instead of solving it.
///
/// Level 1: one arithmetic step on an integer (`f(x) = x + k`, `x · k`, `max(x, k)`); level 2:
/// a fold over a list (sum, count of evens, largest); level 3: a string function (reverse,
/// vowel count, upper case). Each row has four tests with inputs drawn from the seed; the
/// `answer` is a reference solution.
enum CodeTasks {
  static func make(level: Int, random: inout TaskRandom) -> TaskRow {
    let name = random.pick(["f", "solve", "compute", "transform"])
    let (description, body, reference): (String, String, (String) -> String)
    var inputs: [String] = []
    switch level {
    case 1:
      let k = random.int(in: 2...9)
      switch random.int(in: 0...2) {
      case 0:
        (description, body) = ("returns x plus \(k)", "return x + \(k)")
        reference = { "\(Int($0)! + k)" }
      case 1:
        (description, body) = ("returns x times \(k)", "return x * \(k)")
        reference = { "\(Int($0)! * k)" }
      default:
        (description, body) = ("returns the larger of x and \(k)", "return max(x, \(k))")
        reference = { "\(max(Int($0)!, k))" }
      }
      inputs = (0..<4).map { _ in "\(random.int(in: -20...20))" }
    case 2:
      let lists = (0..<4).map { _ in (0..<random.int(in: 1...6)).map { _ in random.int(in: -9...9) }
      }
      inputs = lists.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" }
      func values(_ text: String) -> [Int] {
        text.dropFirst().dropLast().split(separator: ",").compactMap {
          Int($0.trimmingCharacters(in: .whitespaces))
        }
      }
      switch random.int(in: 0...2) {
      case 0:
        (description, body) = ("returns the sum of the list x", "return sum(x)")
        reference = { "\(values($0).reduce(0, +))" }
      case 1:
        (description, body) = (
          "returns how many numbers in the list x are even",
          "return sum(1 for v in x if v % 2 == 0)"
        )
        reference = { "\(values($0).filter { $0 % 2 == 0 }.count)" }
      default:
        (description, body) = ("returns the largest number in the list x", "return max(x)")
        reference = { "\(values($0).max()!)" }
      }
    default:
      let words = ["apple", "swift", "stone", "river", "python", "banana", "kernel", "orange"]
      inputs = (0..<4).map { _ in "'\(random.pick(words))'" }
      func word(_ text: String) -> String { String(text.dropFirst().dropLast()) }
      switch random.int(in: 0...2) {
      case 0:
        (description, body) = ("returns the string x reversed", "return x[::-1]")
        reference = { "'\(String(word($0).reversed()))'" }
      case 1:
        (description, body) = (
          "returns how many vowels (a, e, i, o, u) the string x has",
          "return sum(1 for c in x if c in 'aeiou')"
        )
        reference = { "\(word($0).filter { "aeiou".contains($0) }.count)" }
      default:
        (description, body) = ("returns the string x in upper case", "return x.upper()")
        reference = { "'\(word($0).uppercased())'" }
      }
    }
    let tests = inputs.map { "assert \(name)(\($0)) == \(reference($0))" }
    return TaskRow(
      prompt:
        "Write a Python function \(name)(x) that \(description). Reply with only the code in a ```python block.",
      answer: "def \(name)(x):\n    \(body)\n", task: "code/level-\(level)", difficulty: level,
      tests: tests)
  }
}
