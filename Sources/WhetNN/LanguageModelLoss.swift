import WhetTensor

/// Next-token cross-entropy `−mean log p(target)` over the positions whose target is not
/// negative (prompt and padding positions carry −1 and are masked before the mean).
///
/// - Parameters: `tokens`, `targets` `[B·T]` row-major; `batch` is `B`.
public func languageModelLoss(
  _ model: TransformerDecoder, tokens: [Int], targets: [Int], batch: Int, keyStart: [Int]? = nil
) -> Variable {
  let logProbs = model.targetLogProbs(
    tokens: tokens, targets: targets, batch: batch, keyStart: keyStart)
  let mask = Tensor(shape: [targets.count], scalars: targets.map { $0 >= 0 ? 1 : 0 })
  return -maskedMean(logProbs, mask: mask)
}
