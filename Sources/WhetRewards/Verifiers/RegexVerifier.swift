import Foundation

/// 1 when the completion matches a regular expression (ICU syntax, as `NSRegularExpression`),
/// else 0. By default the pattern may match anywhere; with `wholeCompletion` it must match the
/// entire completion.
public struct RegexVerifier: ItemVerifier {
  /// Only the completion.
  public var columnsRead: Set<String> { [] }
  public let name: String
  /// The expression as given.
  public let pattern: String
  /// Whether the pattern must match the entire completion.
  public let wholeCompletion: Bool
  private let regex: CompiledRegex

  /// - Parameters:
  ///   - pattern: the expression; compiled once here.
  ///   - dotMatchesNewlines: `.` also matches `\n` (Python's `re.DOTALL`).
  ///   - caseInsensitive: ignore case.
  /// - Throws: ``VerifierError/invalidPattern(pattern:reason:)`` when it does not compile.
  public init(
    pattern: String, name: String? = nil, wholeCompletion: Bool = false,
    dotMatchesNewlines: Bool = false,
    caseInsensitive: Bool = false
  ) throws(VerifierError) {
    self.name = name ?? "regex:\(pattern)"
    self.pattern = pattern
    self.wholeCompletion = wholeCompletion
    var options: NSRegularExpression.Options = []
    if dotMatchesNewlines { options.insert(.dotMatchesLineSeparators) }
    if caseInsensitive { options.insert(.caseInsensitive) }
    regex = try CompiledRegex(pattern, options: options, whole: wholeCompletion)
  }

  public func verify(_ item: ScoringItem) -> Score {
    .value(regex.matches(item.completion) ? 1 : 0)
  }
}

/// An `NSRegularExpression`, which is immutable and documented as safe to share across threads.
final class CompiledRegex: @unchecked Sendable {
  let regex: NSRegularExpression

  /// With `whole`, the pattern is wrapped as `\A(?:pattern)\z` so it must span the text.
  init(_ pattern: String, options: NSRegularExpression.Options = [], whole: Bool = false)
    throws(VerifierError)
  {
    do {
      regex = try NSRegularExpression(
        pattern: whole ? "\\A(?:\(pattern))\\z" : pattern, options: options)
    } catch {
      throw .invalidPattern(pattern: pattern, reason: "\(error.localizedDescription)")
    }
  }

  /// Whether the pattern matches somewhere in `text`.
  func matches(_ text: String) -> Bool {
    regex.firstMatch(
      in: text, options: [], range: NSRange(text.startIndex..<text.endIndex, in: text)) != nil
  }
}
