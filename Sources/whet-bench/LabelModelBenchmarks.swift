import Dispatch
import WhetRewards
import WhetTensor

/// Label-model fit times on 1,000,000 items × 20 sources of synthetic votes (accuracies
/// 0.55…0.9, 20% abstentions, class balance 0.35): one figure per model,
/// `labelmodel.<name>.fit_1Mx20` in seconds (best of 3 after one warm-up fit), with the
/// recovered-accuracy error and estimated class balance in the config. Also the whole Weaver
/// pipeline on 100,000 candidates × 20 continuous verifier scores.
func labelModelBenchmarks(emit: (String, Double, String, [String: Any]) -> Void) {
  let items = 1_000_000
  let sources = 20
  let accuracies = (0..<sources).map { 0.55 + 0.35 * Double($0) / Double(sources - 1) }
  let abstain = 0.2
  let balance = 0.35
  var rng = SeededGenerator(seed: 42)
  var codes = [UInt8](repeating: Vote.abstain.rawValue, count: items * sources)
  for i in 0..<items {
    let y: UInt8 = rng.nextUniformDouble() < balance ? 1 : 0
    for w in 0..<sources where rng.nextUniformDouble() >= abstain {
      codes[i * sources + w] = rng.nextUniformDouble() < accuracies[w] ? y : 1 - y
    }
  }
  guard
    let votes = try? VoteMatrix(
      sources: (0..<sources).map { "source\($0)" }, itemCount: items, codes: codes)
  else { return }

  func seconds(_ body: () -> Void) -> Double {
    body()
    var best = Double.infinity
    for _ in 0..<3 {
      let start = DispatchTime.now().uptimeNanoseconds
      body()
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }
    return best
  }

  let models: [any LabelModel] = [
    MajorityVoteModel(), DawidSkeneModel(), TripletModel(), MatrixCompletionModel(),
  ]
  for model in models {
    var fitted: FittedLabelModel? = nil
    let time = seconds { fitted = try? model.fit(votes) }
    guard let fitted else { continue }
    let error = zip(fitted.accuracies, accuracies).map { abs($0 - $1) }.max() ?? .nan
    emit(
      "labelmodel.\(model.name).fit_1Mx20", time, "s",
      [
        "items": items, "sources": sources, "abstain": abstain, "class_balance": balance,
        "estimated_class_balance": (fitted.classBalance * 1e4).rounded() / 1e4,
        "max_accuracy_error": (error * 1e4).rounded() / 1e4, "iterations": fitted.iterations,
        "threads": Parallelism.workerCount,
      ])
  }

  // The Weaver pipeline end to end: normalise, binarise, filter, fit, select.
  let candidates = 100_000
  let perQuery = 10
  var scoreRows: [[Double?]] = []
  scoreRows.reserveCapacity(candidates)
  for _ in 0..<candidates {
    let correct = rng.nextUniformDouble() < 0.3
    scoreRows.append(
      (0..<sources).map { w in
        (correct ? 0.2 + 2 * Double(w) / Double(sources) : 0) + Double(rng.nextNormal())
      })
  }
  let scores = ScoreMatrix(sources: (0..<sources).map { "verifier\($0)" }, values: scoreRows)
  guard let groups = try? QueryGroups(itemCount: candidates, candidatesPerQuery: perQuery) else {
    return
  }
  let pipeline = WeaverPipeline(labelModel: DawidSkeneModel(), binarisation: .positiveRate(0.3))
  var ok = true
  let time = seconds { ok = (try? pipeline.run(scores, groups: groups)) != nil }
  if ok {
    emit(
      "weaver.dawid_skene.select_100kx20", time, "s",
      ["candidates": candidates, "per_query": perQuery, "sources": sources])
  }
}
