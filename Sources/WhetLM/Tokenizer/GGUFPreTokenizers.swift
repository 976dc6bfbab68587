/// The pre-tokenizers of GGUF files' `tokenizer.ggml.pre` values for byte-level BPE.
///
/// Each family is built from the same stages its published `tokenizer.json` uses, so a GGUF
/// file and its original tokenizer split text alike (the regexes are those llama.cpp's
/// `llama-vocab.cpp` lists for the name, with the code points it carries NFC-normalised
/// restored: in DeepSeek's letter class U+1F7D, U+1FBE, U+1FD3, U+1FDB, U+2126 and U+212A).
enum GGUFPreTokenizers {
  /// DeepSeek LLM's `Split` regexes, applied in turn, each isolating its matches.
  static let deepseekLLM = [
    "[\r\n]",
    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u{1F7D}ᾀ-ᾴᾶ-ᾼ\u{1FBE}ῂ-ῄῆ-ῌῐ-\u{1FD3}ῖ-\u{1FDB}ῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u{2126}ℨ\u{212A}-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
    "\\s+$",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}+",
  ]
  /// DeepSeek Coder's.
  static let deepseekCoder = [
    "[\r\n]",
    "\\s?\\p{L}+",
    "\\s?\\p{P}+",
    "[一-龥ࠀ-一가-퟿]+",
    "\\p{N}",
  ]
  /// DeepSeek V3's (and R1's).
  static let deepseekV3 = [
    "\\p{N}{1,3}",
    "[一-龥぀-ゟ゠-ヿ]+",
    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
  ]

  static let gpt2Names: Set = ["default", "gpt2", "gpt-2", "smollm", "starcoder", "command-r"]
  static let llama3Names: Set = [
    "llama-bpe", "llama3", "llama-v3", "smaug-bpe", "dbrx", "falcon3",
  ]
  static let qwen2Names: Set = ["qwen2", "deepseek-r1-qwen"]
  /// The names whose original tokenizer splits every digit off first.
  static let individualDigitNames: Set = ["smollm", "starcoder", "command-r"]

  /// The pre-tokenizer for `tokenizer.ggml.pre` = `name`, or nil for a name this loader does
  /// not know.
  static func make(_ name: String, convention: GGUFPreTokenizerConvention) -> (any PreTokenizer)? {
    let byteLevel = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: true)
    let byteLevelOnly = ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false)
    func splits(_ regexes: [String]) -> (any PreTokenizer)? {
      var stages: [any PreTokenizer] = []
      for source in regexes {
        guard let regex = SplitRegex(source) else { return nil }
        stages.append(SplitPreTokenizer(pattern: .regex(regex), behavior: .isolated, invert: false))
      }
      return SequencePreTokenizer(stages + [byteLevelOnly])
    }
    if gpt2Names.contains(name) {
      // transformers' GGUF loader splits with GPT-2's pattern alone; llama.cpp and the
      // original tokenizer.json split digits off first.
      let digitsFirst =
        individualDigitNames.contains(name) && (convention == .llamaCpp || name == "command-r")
      return digitsFirst
        ? SequencePreTokenizer([DigitsPreTokenizer(individualDigits: true), byteLevel]) : byteLevel
    }
    if llama3Names.contains(name) {
      return SequencePreTokenizer([SplitPreTokenizer(.llama3), byteLevelOnly])
    }
    if qwen2Names.contains(name) {
      return SequencePreTokenizer([SplitPreTokenizer(.qwen2), byteLevelOnly])
    }
    switch name {
    case "deepseek-llm": return splits(deepseekLLM)
    case "deepseek-coder": return splits(deepseekCoder)
    case "deepseek-v3": return splits(deepseekV3)
    case "falcon":
      guard let threeDigits = SplitRegex("[0-9][0-9][0-9]") else { return nil }
      return SequencePreTokenizer([
        PunctuationPreTokenizer(behavior: .contiguous), byteLevel,
        DigitsPreTokenizer(individualDigits: false),
        SplitPreTokenizer(
          pattern: .regex(threeDigits), behavior: .isolated, invert: false),
      ])
    default: return nil
    }
  }
}
