/// Word problems: a person starts with a few objects and changes the count step by step.
///
/// Level k has k steps. Level 1 uses only "gets more" / "gives away" with numbers up to 9,
/// so a small model has a chance; later levels also double, triple and split into equal
/// groups. Every intermediate count stays a positive integer of at most a few hundred.
enum ArithmeticTasks {
  static let names = [
    "Mia", "Tom", "Ava", "Sam", "Lily", "Ben", "Zoe", "Max", "Emma", "Leo", "Nora", "Jack",
  ]
  static let objects: [(singular: String, plural: String)] = [
    ("apple", "apples"), ("marble", "marbles"), ("sticker", "stickers"), ("pencil", "pencils"),
    ("cookie", "cookies"), ("book", "books"), ("coin", "coins"), ("stamp", "stamps"),
    ("shell", "shells"),
    ("card", "cards"),
  ]

  /// One step: how it reads and what it does to the count.
  enum Step {
    case add(Int), subtract(Int), multiply(Int), divide(Int)

    func apply(_ x: Int) -> Int {
      switch self {
      case .add(let k): return x + k
      case .subtract(let k): return x - k
      case .multiply(let k): return x * k
      case .divide(let k): return x / k
      }
    }
  }

  static func make(level: Int, random: inout TaskRandom) -> TaskRow {
    let name = random.pick(names)
    let object = random.pick(objects)
    let start = random.int(in: 2...9)
    var count = start
    var sentences = ["\(name) has \(start) \(object.plural)."]
    for _ in 0..<level {
      let step = nextStep(count: count, allowMultiplicative: level > 1, random: &random)
      sentences.append(sentence(step, name: name, object: object, random: &random))
      count = step.apply(count)
    }
    sentences.append(
      "How many \(object.plural) does \(name) have now? Answer with just the number.")
    return TaskRow(
      prompt: sentences.joined(separator: " "), answer: String(count),
      task: "arithmetic/steps-\(level)",
      difficulty: level)
  }

  /// A step that keeps the count a positive integer.
  static func nextStep(count: Int, allowMultiplicative: Bool, random: inout TaskRandom) -> Step {
    var options: [Step] = [.add(random.int(in: 1...9))]
    if count > 1 { options.append(.subtract(random.int(in: 1...min(9, count - 1)))) }
    if allowMultiplicative {
      if count <= 30 { options.append(.multiply(random.int(in: 2...3))) }
      let divisors = [2, 3].filter { count >= 2 * $0 && count % $0 == 0 }
      if !divisors.isEmpty { options.append(.divide(random.pick(divisors))) }
    }
    return random.pick(options)
  }

  static func sentence(
    _ step: Step, name: String, object: (singular: String, plural: String), random: inout TaskRandom
  ) -> String {
    func noun(_ k: Int) -> String { k == 1 ? object.singular : object.plural }
    switch step {
    case .add(let k):
      return random.pick([
        "\(name) buys \(k) more \(noun(k)).", "\(name) finds \(k) more \(noun(k)).",
        "A friend gives \(name) \(k) more \(noun(k)).",
      ])
    case .subtract(let k):
      return random.pick([
        "\(name) gives \(k) \(noun(k)) to a friend.", "\(name) loses \(k) \(noun(k)).",
        "\(name) uses up \(k) \(noun(k)).",
      ])
    case .multiply(let k):
      let verb = k == 2 ? "doubles" : "triples"
      return "Then the number of \(object.plural) \(name) has \(verb)."
    case .divide(let k):
      return "\(name) splits the \(object.plural) into \(k) equal groups and keeps just one group."
    }
  }
}
