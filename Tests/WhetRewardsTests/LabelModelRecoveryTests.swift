import Testing
import WhetRewards

/// Every label model, fitted without labels on `SyntheticVotes.standard` (10,000 items,
/// 10 conditionally independent sources with accuracies 0.55…0.9, 20% abstentions, class
/// balance 0.35), must recover the source accuracies and the class balance.
@Suite struct LabelModelRecoveryTests {
  let data = SyntheticVotes.standard

  @Test func dawidSkeneRecoversAccuracies() throws {
    let fitted = try DawidSkeneModel().fit(data.votes)
    #expect(data.accuracyError(fitted) < 0.03)
    #expect(abs(fitted.classBalance - data.classBalance) < 0.02)
    #expect(fitted.converged)
    #expect(fitted.iterations <= 100)
    #expect(data.labelAccuracy(fitted) > 0.93)
  }

  @Test func tripletRecoversAccuracies() throws {
    let fitted = try TripletModel().fit(data.votes)
    #expect(data.accuracyError(fitted) < 0.03)
    #expect(abs(fitted.classBalance - data.classBalance) < 0.02)
    #expect(data.labelAccuracy(fitted) > 0.93)
  }

  @Test func tripletMedianRecoversAccuracies() throws {
    let fitted = try TripletModel(aggregation: .median).fit(data.votes)
    #expect(data.accuracyError(fitted) < 0.03)
    #expect(abs(fitted.classBalance - data.classBalance) < 0.02)
  }

  @Test func matrixCompletionRecoversAccuraciesAndBalance() throws {
    let fitted = try MatrixCompletionModel().fit(data.votes)
    #expect(data.accuracyError(fitted) < 0.03)
    #expect(abs(fitted.classBalance - data.classBalance) < 0.02)
    #expect(fitted.converged)
    #expect(data.labelAccuracy(fitted) > 0.93)
  }

  /// Majority vote measures agreement with its own (noisy, ~92% accurate) label, which pulls
  /// every estimate towards 0.5 by about `(1 − α)(2a − 1)` for majority accuracy `α`: for the
  /// 0.9 source that is ≈ 0.05, so the 0.03 bound of the fitted models does not hold here.
  /// It must still order the sources correctly and stay within that bias.
  @Test func majorityVoteAgreementTracksAccuracies() throws {
    let fitted = try MajorityVoteModel().fit(data.votes)
    #expect(data.accuracyError(fitted) < 0.06)
    let estimated = fitted.accuracies
    #expect(zip(estimated, estimated.dropFirst()).allSatisfy { $0 < $1 + 0.01 })
    #expect(abs(fitted.classBalance - data.classBalance) < 0.04)
    #expect(data.labelAccuracy(fitted) > 0.88)
  }

  @Test func fittedModelsScoreNewVotesLikeTheirOwnPosteriors() throws {
    let models: [any LabelModel] = [
      MajorityVoteModel(), DawidSkeneModel(), TripletModel(), MatrixCompletionModel(),
    ]
    for model in models {
      let fitted = try model.fit(data.votes)
      let again = try fitted.posteriors(for: data.votes)
      #expect(again == fitted.posteriors, "\(model.name)")
      #expect(fitted.posteriors.allSatisfy { (0...1).contains($0) })
      #expect(fitted.sources == data.votes.sources)
    }
  }

  @Test func fitsAreDeterministic() throws {
    let a = try DawidSkeneModel().fit(data.votes)
    let b = try DawidSkeneModel().fit(data.votes)
    #expect(a.posteriors == b.posteriors)
    #expect(a.accuracies == b.accuracies)
    let c = try MatrixCompletionModel().fit(data.votes)
    let d = try MatrixCompletionModel().fit(data.votes)
    #expect(c.accuracies == d.accuracies)
  }

  /// With balance 0.7 instead of 0.35, the estimated balance follows (no label is used).
  @Test func classBalanceIsEstimatedNotAssumed() throws {
    let skewed = SyntheticVotes(
      items: 10_000, accuracies: (0..<10).map { 0.6 + 0.3 * Double($0) / 9 }, abstain: 0.1,
      classBalance: 0.7, seed: 5)
    for model in [DawidSkeneModel(), TripletModel(), MatrixCompletionModel()] as [any LabelModel] {
      let fitted = try model.fit(skewed.votes)
      #expect(abs(fitted.classBalance - skewed.empiricalBalance) < 0.03, "\(model.name)")
      #expect(skewed.accuracyError(fitted) < 0.03, "\(model.name)")
    }
  }
}
