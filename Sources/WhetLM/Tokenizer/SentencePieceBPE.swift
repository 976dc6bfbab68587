extension BPEModel {
  /// SentencePiece's BPE encoding (and llama.cpp's `llm_tokenizer_spm`, which reproduces it)
  /// as a merge table, for vocabularies that carry scores instead of merges (GGUF
  /// `tokenizer.ggml.model = llama`: Llama 2, Mistral, Gemma, Phi-3).
  ///
  /// SentencePiece merges two adjacent symbols when their concatenation is a piece, the piece
  /// with the highest score first and the leftmost on ties. That is BPE where every split of a
  /// mergeable piece into two vocabulary entries is a merge whose rank orders the piece's
  /// score from high to low (equal scores share a rank, so ties go leftmost). Scalars outside
  /// the vocabulary become `<0xXX>` byte tokens when the vocabulary has all 256 of them, else
  /// the unknown token. (Kudo & Richardson 2018, SentencePiece, `bpe_model.cc`.)
  ///
  /// - Parameters:
  ///   - pieces: the vocabulary by id.
  ///   - scores: one score per piece.
  ///   - mergeable: whether the piece with this id can be formed by merging (SentencePiece's
  ///     normal pieces; not control, byte, unknown or unused ones).
  ///   - unknownToken: the unknown piece, if any.
  ///   - source: names the file in errors.
  public static func sentencePiece(
    pieces: [String], scores: [Float], mergeable: (Int) -> Bool, unknownToken: String?,
    source: String
  ) throws(TokenizerError) -> BPEModel {
    guard scores.count == pieces.count else {
      throw .malformed(
        file: source, reason: "\(scores.count) scores for \(pieces.count) pieces")
    }
    var vocabulary: [String: Int] = [:]
    vocabulary.reserveCapacity(pieces.count)
    for (id, piece) in pieces.enumerated() where vocabulary[piece] == nil {
      vocabulary[piece] = id
    }
    for (id, score) in scores.enumerated() where !score.isFinite && mergeable(id) {
      throw .invalidVocabulary(file: source, reason: "piece \(id) has score \(score)")
    }
    let distinct = Array(Set(pieces.indices.filter(mergeable).map { scores[$0] })).sorted(by: >)
    var rankOfScore: [Float: Int32] = [:]
    for (rank, score) in distinct.enumerated() { rankOfScore[score] = Int32(rank) }

    var merges: [(String, String, Int32)] = []
    for (id, piece) in pieces.enumerated() where mergeable(id) && vocabulary[piece] == id {
      let scalars = Array(piece.unicodeScalars)
      guard scalars.count >= 2, let rank = rankOfScore[scores[id]] else { continue }
      var left = String.UnicodeScalarView()
      for k in 1..<scalars.count {
        left.append(scalars[k - 1])
        let l = String(left)
        guard vocabulary[l] != nil else { continue }
        let r = String(String.UnicodeScalarView(scalars[k...]))
        if vocabulary[r] != nil { merges.append((l, r, rank)) }
      }
    }
    let hasAllBytes = (0...255).allSatisfy { vocabulary[byteToken(UInt8($0))] != nil }
    return try BPEModel(
      vocabulary: vocabulary, rankedMerges: merges, unknownToken: unknownToken,
      byteFallback: hasAllBytes, fuseUnknown: false, ignoreMerges: false, source: source)
  }
}
