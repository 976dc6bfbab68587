import Foundation

extension Tokenizer {
  /// Reads a Hugging Face `tokenizer.json`.
  ///
  /// Supported: a `BPE` model (`vocab`; `merges` as `"a b"` strings or `["a", "b"]` pairs;
  /// `unk_token`, `byte_fallback`, `fuse_unk`, `ignore_merges`), `added_tokens`, and these
  /// stages by `"type"`: normalizers `NFC`/`NFD`/`NFKC`/`NFKD`, `Lowercase`, `Prepend`,
  /// `Replace` (string pattern), `Sequence`; pre-tokenizers `ByteLevel`, `Digits`, `Split`
  /// (GPT-2, Llama 3 or Qwen 2 regex, `Isolated`), `Metaspace` (SentencePiece style), `Sequence`;
  /// post-processors `TemplateProcessing`, `BertProcessing`, `RobertaProcessing`, `ByteLevel`,
  /// `Sequence`; decoders `ByteLevel`, `Replace`, `ByteFallback`, `Fuse`, `Strip`, `Metaspace`,
  /// `Sequence`. Anything else throws `TokenizerError.unsupported` naming the component and its
  /// type.
  ///
  /// BOS, EOS and padding tokens come from a `tokenizer_config.json` beside the file when
  /// there is one; otherwise BOS is the first special token of the post-processor's template.
  public convenience init(tokenizerJSON url: URL) throws(TokenizerError) {
    let file = url.path
    let root = try JSONObject(try Self.readJSON(url), path: "", file: file)
    let model = try TokenizerJSONFactory.model(root["model"], path: "model", file: file)
    let added = try TokenizerJSONFactory.addedTokens(
      root["added_tokens"], path: "added_tokens", file: file)
    var addedIDs: [String: Int] = [:]
    for token in added { addedIDs[token.content] = token.id }
    let idOf: (String) -> Int? = { addedIDs[$0] ?? model.vocabulary[$0] }
    let normalizer = try TokenizerJSONFactory.normalizer(
      root["normalizer"], path: "normalizer", file: file)
    let preTokenizer = try TokenizerJSONFactory.preTokenizer(
      root["pre_tokenizer"], path: "pre_tokenizer", file: file)
    let postProcessor = try TokenizerJSONFactory.postProcessor(
      root["post_processor"], path: "post_processor", file: file, idOf: idOf)
    let decoder = try TokenizerJSONFactory.decoder(root["decoder"], path: "decoder", file: file)

    var bos: Int? = (postProcessor as? TemplatePostProcessor)?.prefix.first
    var eos: Int?
    var pad: Int?
    var unk: Int? = model.unknownTokenID
    let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
    if FileManager.default.fileExists(atPath: configURL.path) {
      let config = try JSONObject(try Self.readJSON(configURL), path: "", file: configURL.path)
      func tokenID(_ key: String) throws(TokenizerError) -> Int?? {
        guard let v = config[key] else { return .none }
        let content: String
        switch v {
        case .string(let s): content = s
        case .object:
          content = try JSONObject(v, path: key, file: configURL.path).requiredString("content")
        default:
          throw .malformed(
            file: configURL.path,
            reason: "'\(key)' must be a string or an object, found \(v.kindDescription)")
        }
        guard let id = idOf(content) else {
          throw .invalidVocabulary(
            file: configURL.path, reason: "\(key) '\(content)' is not in the vocabulary")
        }
        return .some(id)
      }
      if let id = try tokenID("bos_token") { bos = id }
      if let id = try tokenID("eos_token") { eos = id }
      if let id = try tokenID("pad_token") { pad = id }
      if let id = try tokenID("unk_token") { unk = id }
    }

    self.init(
      model: model, normalizer: normalizer, preTokenizer: preTokenizer,
      postProcessor: postProcessor,
      decoder: decoder, addedTokens: added, bosTokenID: bos, eosTokenID: eos, padTokenID: pad,
      unknownTokenID: unk)
  }

  private static func readJSON(_ url: URL) throws(TokenizerError) -> JSONValue {
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw .unreadable(file: url.path, reason: error.localizedDescription)
    }
    return try JSONValue.parse(data, file: url.path)
  }
}
