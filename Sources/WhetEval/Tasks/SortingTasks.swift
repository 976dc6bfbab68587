/// Sorting a list, ascending or descending.
///
/// Level 1: 4 numbers in 1…20; level 2: 6 numbers in 1…50; level 3: 8 numbers in 1…99
/// (repeats possible); level 4: 10 numbers in −50…99, or at levels 3–4 half the time a list
/// of words sorted alphabetically. The answer is the list joined by ", ".
enum SortingTasks {
  static let words = [
    "pear", "apple", "fig", "grape", "lemon", "mango", "cherry", "banana", "kiwi", "plum", "peach",
    "melon",
    "olive", "date", "lime", "guava",
  ]

  static func make(level: Int, random: inout TaskRandom) -> TaskRow {
    let descending = random.coin()
    let order = descending ? "descending" : "ascending"
    if level >= 3, random.coin() {
      let list = Array(random.shuffled(words).prefix(level + 2))
      let sorted = descending ? list.sorted(by: >) : list.sorted()
      let direction =
        descending ? "in reverse alphabetical order (z to a)" : "in alphabetical order (a to z)"
      return TaskRow(
        prompt: "Sort these words \(direction): \(list.joined(separator: ", ")). "
          + "Answer with just the sorted words, separated by commas.",
        answer: sorted.joined(separator: ", "), task: "sorting/words-\(order)", difficulty: level)
    }
    let (count, range): (Int, ClosedRange<Int>) =
      switch level {
      case 1: (4, 1...20)
      case 2: (6, 1...50)
      case 3: (8, 1...99)
      default: (10, -50...99)
      }
    var list = (0..<count).map { _ in random.int(in: range) }
    // A list that is already in order tests nothing; reshuffle (a few tries, for repeats).
    for _ in 0..<4 where list == list.sorted() || list == list.sorted(by: >) {
      list = random.shuffled(list)
    }
    let sorted = descending ? list.sorted(by: >) : list.sorted()
    let text = { (values: [Int]) in values.map(String.init).joined(separator: ", ") }
    return TaskRow(
      prompt: "Sort these numbers in \(order) order: \(text(list)). "
        + "Answer with just the sorted numbers, separated by commas.",
      answer: text(sorted), task: "sorting/numbers-\(order)", difficulty: level)
  }
}
