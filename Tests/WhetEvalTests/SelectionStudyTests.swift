import Foundation
import Testing
import WhetEval
import WhetRewards

@Suite struct SelectionStudyTests {
  /// Two queries of three candidates; every figure below is worked out by hand.
  @Test func methodsAndVerifierAccuraciesByHand() throws {
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 1, 1, 1])
    let correct = [false, true, false, true, false, false]
    // Min–max over [0, 0.9] then threshold 0.5: a votes 0 1 0 1 1 0 (agrees with the truth on
    // 5 of 6); b's 0/1 scores are their own votes 1 0 1 0 1 1 (agrees on none).
    let matrix = ScoreMatrix(
      sources: ["a", "b"],
      values: [[0.1, 1], [0.9, 0], [0.2, 1], [0.8, 0], [0.5, 1], [0.0, 1]])
    let answers: [String?] = ["4", "3", "4", "7", "7", "8"]
    let study = try SelectionStudy(
      correct: correct, groups: groups, scores: matrix, answers: answers,
      greedyCorrect: [true, false], pipeline: WeaverPipeline(labelModel: MajorityVoteModel()))
    #expect(study.accuracy(of: "greedy") == 0.5)
    // One correct of three in each query.
    #expect(abs(study.accuracy(of: "random of N (expected)")! - 1.0 / 3) < 1e-12)
    // a picks items 1 and 3 (both right); b ties → lowest index: items 0 and 4 (both wrong).
    #expect(study.accuracy(of: "best of N by a") == 1)
    #expect(study.accuracy(of: "best of N by b") == 0)
    // "4" wins query 0 (item 0, wrong), "7" wins query 1 (item 3, right).
    #expect(study.accuracy(of: "majority vote") == 0.5)
    #expect(study.accuracy(of: "pass@N (oracle)") == 1)
    // Weaver with the majority-vote label model. Both sources are kept (positive rates 3/6 and
    // 4/6 lie inside (0.1, 0.9)). a and b disagree on every item but item 4 (both 1), so the
    // posteriors are 0.5 0.5 0.5 0.5 1 0.5: query 0 is a three-way tie → item 0 (wrong),
    // query 1 → item 4 (wrong). Weaver scores 0 of 2.
    #expect(study.weaver.scores == [0.5, 0.5, 0.5, 0.5, 1, 0.5])
    #expect(study.weaver.selected == [0, 4])
    #expect(study.accuracy(of: "Weaver (majority_vote)") == 0)
    #expect(study.methods.map(\.kind).last == .ceiling)
    let a = try #require(study.verifiers.first { $0.name == "a" })
    let b = try #require(study.verifiers.first { $0.name == "b" })
    #expect(abs(a.trueAccuracy! - 5.0 / 6) < 1e-12)
    #expect(b.trueAccuracy == 0)
    #expect(a.positiveRate == 0.5)
    #expect(abs(b.positiveRate! - 4.0 / 6) < 1e-12)
    #expect(a.kept && b.kept)
    // Estimated accuracy = expected agreement with those posteriors q. a votes 1 on items
    // 1, 3, 4 (q = 0.5, 0.5, 1: 2) and 0 on items 0, 2, 5 (1 − q = 0.5 each: 1.5) → 3.5 / 6.
    // b votes 1 on items 0, 2, 4, 5 (0.5 + 0.5 + 1 + 0.5 = 2.5) and 0 on 1, 3 (1) → 3.5 / 6.
    #expect(abs(a.estimatedAccuracy! - 7.0 / 12) < 1e-12)
    #expect(abs(b.estimatedAccuracy! - 7.0 / 12) < 1e-12)
    // The estimated balance is the mean posterior: (5 × 0.5 + 1) / 6 = 7 / 12.
    #expect(abs(study.weaver.fitted.classBalance - 7.0 / 12) < 1e-12)
    #expect(abs(study.correctShare - 2.0 / 6) < 1e-12)
  }

  /// The same queries with a third, perfect verifier c: now the majority label model breaks
  /// every tie, and every figure is again worked out by hand.
  @Test func weaverWithThreeVerifiersByHand() throws {
    let groups = QueryGroups(queryOfItem: [0, 0, 0, 1, 1, 1])
    let correct = [false, true, false, true, false, false]
    // Votes after min–max and threshold 0.5 (a's scores span [0, 0.9]; b and c are 0/1):
    //   item:  0 1 2 3 4 5
    //   a:     0 1 0 1 1 0   (0.11 1 0.22 0.89 0.56 0)
    //   b:     1 0 1 0 1 1
    //   c:     0 1 0 1 0 0   (exactly the truth)
    // Positive rates 3/6, 4/6, 2/6: all kept. Majority per item: 0 1 0 1 1 0.
    let matrix = ScoreMatrix(
      sources: ["a", "b", "c"],
      values: [
        [0.1, 1, 0], [0.9, 0, 1], [0.2, 1, 0], [0.8, 0, 1], [0.5, 1, 0], [0.0, 1, 0],
      ])
    let study = try SelectionStudy(
      correct: correct, groups: groups, scores: matrix, answers: [nil, nil, nil, nil, nil, nil],
      pipeline: WeaverPipeline(labelModel: MajorityVoteModel()))
    #expect(study.weaver.dropped.isEmpty)
    #expect(study.weaver.scores == [0, 1, 0, 1, 1, 0])
    // Query 0: item 1 is the only 1 (right). Query 1: items 3 and 4 tie at 1 → item 3 (right).
    #expect(study.weaver.selected == [1, 3])
    #expect(study.accuracy(of: "Weaver (majority_vote)") == 1)
    // Best of N on the raw scores (ties → lowest index): a 0.1 0.9 0.2 | 0.8 0.5 0.0 picks
    // items 1 and 3 (right); b 1 0 1 | 0 1 1 picks items 0 and 4 (wrong); c picks 1 and 3.
    #expect(study.accuracy(of: "best of N by a") == 1)
    #expect(study.accuracy(of: "best of N by b") == 0)
    #expect(study.accuracy(of: "best of N by c") == 1)
    let byName = Dictionary(uniqueKeysWithValues: study.verifiers.map { ($0.name, $0) })
    // Agreement with the majority labels 0 1 0 1 1 0: a agrees on all 6; b only on item 4
    // (1/6); c on all but item 4 (5/6). Against the truth 0 1 0 1 0 0: a 5/6, b 0, c 1.
    #expect(abs((byName["a"]?.estimatedAccuracy ?? .nan) - 1) < 1e-12)
    #expect(abs((byName["b"]?.estimatedAccuracy ?? .nan) - 1.0 / 6) < 1e-12)
    #expect(abs((byName["c"]?.estimatedAccuracy ?? .nan) - 5.0 / 6) < 1e-12)
    #expect(abs((byName["a"]?.trueAccuracy ?? .nan) - 5.0 / 6) < 1e-12)
    #expect(byName["b"]?.trueAccuracy == 0)
    #expect(byName["c"]?.trueAccuracy == 1)
    // Mean posterior: 3 / 6.
    #expect(study.weaver.fitted.classBalance == 0.5)
  }

  @Test func rejectsMisalignedInputs() {
    let groups = QueryGroups(queryOfItem: [0, 0, 1, 1])
    let matrix = ScoreMatrix(sources: ["a"], values: [[1], [0], [1], [0]])
    #expect(throws: SelectionError.self) {
      try SelectionStudy(
        correct: [true, false], groups: groups, scores: matrix, answers: [nil, nil, nil, nil])
    }
    #expect(throws: SelectionError.self) {
      try SelectionStudy(
        correct: [true, false, true, false], groups: groups, scores: matrix,
        answers: [nil, nil, nil, nil], greedyCorrect: [true])
    }
  }
}

@Suite struct ReportTests {
  @Test func escapesTextAndRendersTables() {
    #expect(HTMLDocument.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
    var doc = HTMLDocument(title: "T <1>")
    doc.table(
      headers: ["name", "n"], rows: [["<b>", "3"]], numericColumns: [1], highlightedRows: [0])
    let html = doc.render()
    #expect(html.contains("<title>T &lt;1&gt;</title>"))
    #expect(html.contains("<tr class=\"hl\"><td>&lt;b&gt;</td><td class=\"num\">3</td></tr>"))
    #expect(!html.contains("<b>"))
    #expect(HTMLDocument.percent(0.4567) == "45.7%")
  }

  /// Bar lengths are proportional to the values: with the plot 900 − 260 − 70 = 570 wide,
  /// 0.5 of a maximum of 1 is 285 units and 0.25 is 142.5.
  @Test func barLengthsAreProportional() {
    let svg = SVGChart.horizontalBars(
      [
        .init(label: "half", value: 0.5, group: "x"),
        .init(label: "quarter", value: 0.25, group: "y"),
      ], maximum: 1, reference: ("ceiling", 0.75))
    #expect(svg.contains("width=\"285.0\""))
    #expect(svg.contains("width=\"142.5\""))
    // The reference line sits at 260 + 0.75 × 570 = 687.5.
    #expect(svg.contains("x1=\"687.5\""))
    #expect(svg.contains(">ceiling 75.0%</text>"))
    // A zero maximum draws nothing wider than the plot instead of dividing by zero.
    #expect(
      SVGChart.horizontalBars([.init(label: "z", value: 0, group: "x")], maximum: 0).hasSuffix(
        "</svg>"))
  }

  /// Points land at their coordinates: on a 460 square with margins of 56, (0.5, 0.25) is
  /// at x = 56 + 0.5 × 348 = 230 and y = 460 − (56 + 0.25 × 348) = 317.
  @Test func scatterPlacesPoints() {
    let svg = SVGChart.scatter(
      [.init(label: "v", x: 0.5, y: 0.25)], xLabel: "true", yLabel: "estimated")
    #expect(svg.contains("cx=\"230.0\" cy=\"317.0\""))
  }
}
