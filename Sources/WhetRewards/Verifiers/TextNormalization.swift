/// Answer normalisation as in the SQuAD v1.1 evaluation script (`normalize_answer`):
/// lowercase, drop ASCII punctuation, drop the articles "a", "an", "the", collapse
/// whitespace. `"The  Eiffel-Tower!"` becomes `"eiffeltower"`.
public enum TextNormalization {
  /// Python's `string.punctuation`.
  static let punctuation = Set("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~")
  static let articles: Set<Substring> = ["a", "an", "the"]

  /// SQuAD's `normalize_answer(text)`.
  public static func squad(_ text: String) -> String {
    let lowered = text.lowercased().filter { !punctuation.contains($0) }
    return lowered.split(whereSeparator: \.isWhitespace)
      .filter { !articles.contains($0) }
      .joined(separator: " ")
  }
}
