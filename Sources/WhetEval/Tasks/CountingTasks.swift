/// Counting: how often a letter occurs in a word, or how many list items have a property.
///
/// Level 1: a letter in a common word, or even numbers among 5; level 2: a letter in a
/// longer word, or numbers above a threshold among 8; level 3: a letter in a random
/// 12–20 letter string, or multiples of 3 among 12 numbers.
enum CountingTasks {
  static let shortWords = [
    "banana", "apple", "letter", "coffee", "pepper", "cherry", "bubble", "puzzle", "balloon",
    "tomorrow",
    "strawberry", "grammar", "success", "address", "yellow", "summer",
  ]
  static let longWords = [
    "mississippi", "committee", "bookkeeper", "assessment", "parallel", "occurrence", "raspberry",
    "programming", "accommodation", "embarrassment", "possession", "necessarily", "beginning",
    "difference",
  ]

  static func make(level: Int, random: inout TaskRandom) -> TaskRow {
    random.coin() ? letters(level: level, random: &random) : numbers(level: level, random: &random)
  }

  static func letters(level: Int, random: inout TaskRandom) -> TaskRow {
    let word: String
    switch level {
    case 1: word = random.pick(shortWords)
    case 2: word = random.pick(longWords)
    default:
      word = String((0..<random.int(in: 12...20)).map { _ in random.pick(Array("abcdeilmnorst")) })
    }
    let letter = random.pick(Array(word))  // always present at least once
    let count = word.filter { $0 == letter }.count
    return TaskRow(
      prompt:
        "How many times does the letter \"\(letter)\" appear in \"\(word)\"? Answer with just the number.",
      answer: String(count), task: "counting/letters", difficulty: level)
  }

  static func numbers(level: Int, random: inout TaskRandom) -> TaskRow {
    let size = [5, 8, 12][min(level, 3) - 1]
    let list = (0..<size).map { _ in random.int(in: 1...(level == 1 ? 20 : 99)) }
    let shown = list.map(String.init).joined(separator: ", ")
    let question: String
    let count: Int
    switch level {
    case 1:
      question = "How many of these numbers are even"
      count = list.filter { $0 % 2 == 0 }.count
    case 2:
      let threshold = random.int(in: 20...80)
      question = "How many of these numbers are greater than \(threshold)"
      count = list.filter { $0 > threshold }.count
    default:
      question = "How many of these numbers are multiples of 3"
      count = list.filter { $0 % 3 == 0 }.count
    }
    return TaskRow(
      prompt: "\(question): \(shown)? Answer with just the number.", answer: String(count),
      task: "counting/numbers", difficulty: level)
  }
}
