/// A check a judge applies before asking the model: a completion with no content cannot be
/// a correct answer, so it gets the lowest score without a model call.
///
/// "Master keys" (Zhao et al. 2025, "One token to fool LLM-as-a-judge") are exactly such
/// replies: an empty string, lone punctuation, or a reasoning opener that stops before saying
/// anything ("Thought process:"). A policy trained against a judge that accepts them learns to
/// emit them. Contentless here means: no letter or digit at all, or a reply that ends on a
/// colon (an opener announcing content that never comes). A real answer that ends on a
/// colon was cut off before its answer, so it is not correct either.
public enum ContentCheck {
  /// Whether `completion` has no content a judge could find correct.
  public static func isContentless(_ completion: String) -> Bool {
    let trimmed = completion.unicodeScalars.filter { !$0.properties.isWhitespace }
    guard
      trimmed.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil })
    else { return true }
    return trimmed.last == ":"
  }
}
