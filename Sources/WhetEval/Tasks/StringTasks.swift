/// Compositions of string functions, e.g. `uppercase(reverse("kbdea"))`.
///
/// Level k composes k functions on a random 5–8 letter string over a small alphabet (so
/// letters repeat and `dedupe` matters). `length` may only be outermost, and no function
/// appears twice.
enum StringTasks {
  /// A string function: its name, its definition for the prompt, and its behaviour.
  struct Function: Sendable {
    let name: String
    let definition: String
    let apply: @Sendable (String) -> String
  }

  static let functions: [Function] = [
    Function(name: "reverse", definition: "the characters of s in reverse order") {
      String($0.reversed())
    },
    Function(name: "sort", definition: "the characters of s sorted alphabetically") {
      String($0.sorted())
    },
    Function(
      name: "dedupe",
      definition: "s with every repeated character removed after its first occurrence"
    ) {
      var seen = Set<Character>()
      return String($0.filter { seen.insert($0).inserted })
    },
    Function(name: "uppercase", definition: "s in capital letters") { $0.uppercased() },
    Function(name: "remove_vowels", definition: "s without the vowels a, e, i, o, u (either case)")
    {
      String($0.filter { !"aeiouAEIOU".contains($0) })
    },
  ]

  static let length = Function(name: "length", definition: "the number of characters in s") {
    String($0.count)
  }

  static let alphabet: [Character] = Array("abcdeiklmnorst")

  static func make(level: Int, random: inout TaskRandom) -> TaskRow {
    var letters: [Character] = []
    for _ in 0..<random.int(in: 5...8) { letters.append(random.pick(alphabet)) }
    // At least one consonant, so `remove_vowels` never leaves an empty string.
    letters[random.int(in: 0...(letters.count - 1))] = random.pick(Array("bcdklmnrst"))
    let input = String(letters)

    var chain: [Function] = []  // innermost first
    for position in 0..<level {
      let outermost = position == level - 1
      var options = functions.filter { f in !chain.contains { $0.name == f.name } }
      if outermost, level > 1 { options.append(length) }
      chain.append(random.pick(options))
    }
    var value = input
    for f in chain { value = f.apply(value) }

    var expression = "\"\(input)\""
    for f in chain { expression = "\(f.name)(\(expression))" }
    var seen = Set<String>()
    let definitions = chain.filter { seen.insert($0.name).inserted }.map {
      "- \($0.name)(s): \($0.definition)"
    }
    let format =
      chain.last?.name == "length"
      ? "Answer with just the number." : "Answer with just the resulting string, without quotes."
    let prompt = (["Functions:"] + definitions + ["What is \(expression)? \(format)"]).joined(
      separator: "\n")
    let kind = chain.reversed().map(\.name).joined(separator: "∘")
    return TaskRow(prompt: prompt, answer: value, task: "strings/\(kind)", difficulty: level)
  }
}
