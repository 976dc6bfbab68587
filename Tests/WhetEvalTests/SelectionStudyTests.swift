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
    let weaver = try #require(study.methods.first { $0.kind == .weaver })
    #expect(
      weaver.accuracy
        == (try CandidateSelection.accuracy(selected: study.weaver.selected, correct: correct)))
    #expect(study.methods.map(\.kind).last == .ceiling)
    let a = try #require(study.verifiers.first { $0.name == "a" })
    let b = try #require(study.verifiers.first { $0.name == "b" })
    #expect(abs(a.trueAccuracy! - 5.0 / 6) < 1e-12)
    #expect(b.trueAccuracy == 0)
    #expect(a.positiveRate == 0.5)
    #expect(abs(b.positiveRate! - 4.0 / 6) < 1e-12)
    #expect(a.kept && b.kept && a.estimatedAccuracy != nil)
    #expect(abs(study.correctShare - 2.0 / 6) < 1e-12)
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
