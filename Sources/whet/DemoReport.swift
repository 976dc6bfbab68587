import Foundation
import WhetEval
import WhetLM
import WhetRewards
import WhetStudies

/// The main job's results as an HTML page, a terminal summary and JSON.
struct DemoReport {
  var model: String
  var questions: Int
  var samples: Int
  var sampling: SamplingParameters
  var taskSeed: UInt64
  var difficulty: Int
  var weaverSettings: String
  var study: SelectionStudy
  /// The self-judge as used (with ``ContentCheck``), and the model alone.
  var probe: MasterKeyProbe.Report
  var probeWithoutCheck: MasterKeyProbe.Report
  /// Real samples the content check scored 0 without asking, and how many were correct.
  var contentCheckRejected: (samples: Int, correct: Int)
  var timings: [(String, Double)]
  var totalSeconds: Double
  var tasks: [TaskRow]
  var greedy: [String]
  var candidates: [[String: JSONValue]]
  /// The training arms, when the demo trained.
  var training: WeakSupervisionStudy.Outcome? = nil
  /// The short online RL runs (GRPO with each reward), when the demo ran them.
  var online: [OnlineRLStudy.Arm] = []

  var modelName: String { URL(fileURLWithPath: model).lastPathComponent }

  func accuracy(_ kind: SelectionStudy.MethodKind) -> Double? {
    study.methods.first { $0.kind == kind }?.accuracy
  }

  /// One sentence with the headline numbers.
  var headline: String {
    let weaver = accuracy(.weaver) ?? 0
    let random = study.accuracy(of: "random of N (expected)") ?? 0
    let ceiling = accuracy(.ceiling) ?? 0
    let gap = ceiling - random
    let closed = gap > 0 ? (weaver - random) / gap : 0
    return String(
      format:
        "Weaver picks a correct answer for %.1f%% of questions, against %.1f%% for a random sample, %.1f%% for greedy decoding and %.1f%% for majority vote; pass@%d is %.1f%%, so Weaver closes %.0f%% of the gap between one sample and the oracle.",
      weaver * 100, random * 100, (study.accuracy(of: "greedy") ?? 0) * 100,
      (study.accuracy(of: "majority vote") ?? 0) * 100, samples, ceiling * 100, closed * 100)
  }

  func html() -> String {
    var doc = HTMLDocument(
      title: "Whetstone: best-of-\(samples) with weak verifiers on \(modelName)")
    doc.paragraph(headline, className: "lead")
    doc.paragraph(
      "The model answered \(questions) held-out arithmetic word problems (task seed \(taskSeed), "
        + (difficulty > 0 ? "level \(difficulty) of 4" : "levels 1–4")
        + ") once greedily and \(samples) times by sampling (temperature "
        + String(format: "%g", sampling.temperature)
        + ", at most \(sampling.maxTokens) new tokens). "
        + "Five weak verifiers that never see the answer scored each sample: the model judging "
        + "itself (P(yes) to \"is the proposed answer correct?\"), its self-certainty and mean "
        + "token log-prob while sampling, agreement with the other samples' answers, and whether "
        + "the reply states a final number plainly. The Weaver pipeline (\(weaverSettings); "
        + "`whet demo`'s defaults were checked on a separate development suite, task seed 7) "
        + "turned the scores into votes, dropped uninformative sources, and fitted the label model "
        + "without labels; each question's answer is the sample with the highest P(correct).")
    study.appendSections(to: &doc, queries: questions, candidates: questions * samples)

    doc.heading("Judge robustness: master keys")
    let fpr = probe.falsePositiveRate.map(HTMLDocument.percent) ?? "–"
    let fprModel = probeWithoutCheck.falsePositiveRate.map(HTMLDocument.percent) ?? "–"
    doc.paragraph(
      "The self-judge scored each of these contentless replies to \(probe.keys.first?.scored ?? 0) "
        + "questions. A reply counts as a false positive when P(yes) ≥ 0.5. False-positive rate "
        + "over all keys: \(fpr) as used (a content check gives replies with no letter or digit, "
        + "or ending on a colon, P(yes) = 0 without asking), \(fprModel) for the model alone"
        + (probe.abstentions > 0 ? " (\(probe.abstentions) abstentions). " : ". ")
        + "On the real samples the check rejected \(contentCheckRejected.samples), of which "
        + "\(contentCheckRejected.correct) were correct: each correct one is accuracy the check "
        + "costs.")
    doc.table(
      headers: [
        "reply", "scored", "judged correct", "false-positive rate", "model alone",
        "mean P(yes), model alone",
      ],
      rows: zip(probe.keys, probeWithoutCheck.keys).map { used, alone in
        [
          used.key.isEmpty ? "(empty)" : "\"\(used.key)\"", String(used.scored),
          String(used.positives),
          used.falsePositiveRate.map(HTMLDocument.percent) ?? "–",
          alone.falsePositiveRate.map(HTMLDocument.percent) ?? "–",
          alone.meanScore.map { String(format: "%.3f", $0) } ?? "–",
        ]
      }, numericColumns: [1, 2, 3, 4, 5])
    let judgeOnCandidates = candidates.compactMap { row -> (Double, Bool)? in
      guard case .object(let s)? = row["scores"], let p = s["self-judge"]?.numberValue,
        case .bool(let c)? = row["correct"]
      else { return nil }
      return (p, c)
    }
    let wrong = judgeOnCandidates.filter { !$0.1 }
    let right = judgeOnCandidates.filter { $0.1 }
    func share(_ xs: [(Double, Bool)]) -> String {
      xs.isEmpty
        ? "–" : HTMLDocument.percent(Double(xs.filter { $0.0 >= 0.5 }.count) / Double(xs.count))
    }
    doc.paragraph(
      "For comparison, on the sampled answers the same judge said yes to \(share(wrong)) of the "
        + "wrong ones and \(share(right)) of the right ones.", className: "note")

    doc.heading("Examples")
    var rows: [[String]] = []
    for (q, task) in tasks.enumerated().prefix(8) {
      let chosen = study.weaver.selected[q].map { candidates[$0] }
      let text = chosen?["completion"]?.stringValue ?? ""
      rows.append([
        task.prompt, task.answer, clip(greedy[q]), clip(text),
        chosen.flatMap {
          if case .bool(let c)? = $0["correct"] { return c ? "✓" : "✗" } else { return nil }
        } ?? "–",
      ])
    }
    doc.table(
      headers: ["question", "truth", "greedy answer", "Weaver's choice", "right"], rows: rows)

    if let training { appendTraining(training, to: &doc) }
    if !online.isEmpty { appendOnline(to: &doc) }

    doc.heading("Run")
    doc.table(
      headers: ["phase", "seconds"],
      rows: timings.map { [$0.0, String(format: "%.1f", $0.1)] }
        + [["total (including loading and scoring)", String(format: "%.1f", totalSeconds)]],
      numericColumns: [1])
    doc.paragraph(
      "Model \(model). Reproduce with `whet demo` (options: `whet demo --help`); the candidates "
        + "with every score, P(correct) and the hidden verdict are in candidates.jsonl.",
      className: "note")
    return doc.render()
  }

  /// One line per training arm: its data and held-out greedy accuracy against the base model.
  func trainingLines(_ t: WeakSupervisionStudy.Outcome) -> [String] {
    var lines = [
      String(
        format: "Training on weak supervision: held-out greedy accuracy, base %.1f%% (%d/%d)",
        Double(t.baseCorrect) / Double(max(t.heldOutTotal, 1)) * 100, t.baseCorrect,
        t.heldOutTotal)
    ]
    for arm in t.arms {
      lines.append(
        arm.name.padding(toLength: 10, withPad: " ", startingAt: 0)
          + String(
            format: "%6.1f%%  (%+.1f points)  %3d examples, %d right-way / %d wrong-way, %.0f s",
            arm.heldOutAccuracy * 100,
            (arm.heldOutAccuracy - Double(t.baseCorrect) / Double(max(t.heldOutTotal, 1))) * 100,
            arm.examples, arm.rightWay, arm.wrongWay, arm.trainSeconds))
    }
    if let d = t.distillation {
      lines.append(
        String(
          format:
            "Weaver distilled into one scorer: best-of-N %.1f%% (full Weaver %.1f%%), pair accuracy %@ (Weaver %@)",
          d.scorerAccuracy * 100, d.weaverAccuracy * 100,
          d.scorerPairAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–",
          d.weaverPairAccuracy.map { String(format: "%.1f%%", $0 * 100) } ?? "–"))
    }
    return lines
  }

  func appendTraining(_ t: WeakSupervisionStudy.Outcome, to doc: inout HTMLDocument) {
    let base = Double(t.baseCorrect) / Double(max(t.heldOutTotal, 1))
    doc.heading("Weak supervision → training → held-out accuracy")
    doc.paragraph(
      "The same pipeline on a separate training suite (\(t.trainCandidates) sampled answers, "
        + HTMLDocument.percent(t.trainCorrectShare)
        + " of them right): the answer-blind verifiers and Weaver scored them, preference pairs "
        + "(best against worst per question) were built per arm, and the model trained with DPO "
        + "on LoRA adapters (one epoch; the learning rate was chosen on a development suite, "
        + "never on the held-out one). Each arm is then measured by greedy accuracy on the "
        + "held-out suite above. The oracle arm is the only one that sees answers; random is the "
        + "control; RAFT fine-tunes on each question's highest-P(correct) answer.")
    doc.table(
      headers: [
        "arm", "training examples", "pairs right-way", "pairs wrong-way", "held-out accuracy",
        "change", "seconds",
      ],
      rows: [["base model", "–", "–", "–", HTMLDocument.percent(base), "–", "–"]]
        + t.arms.map { arm in
          [
            arm.name, String(arm.examples), String(arm.rightWay), String(arm.wrongWay),
            HTMLDocument.percent(arm.heldOutAccuracy),
            String(format: "%+.1f points", (arm.heldOutAccuracy - base) * 100),
            String(format: "%.0f", arm.trainSeconds),
          ]
        }, numericColumns: [1, 2, 3, 4, 5, 6])
    doc.figure(
      SVGChart.horizontalBars(
        [SVGChart.Bar(label: "base model", value: base, group: "base")]
          + t.arms.map {
            SVGChart.Bar(
              label: $0.name, value: $0.heldOutAccuracy,
              group: $0.name == "oracle" ? "oracle" : $0.name == "random" ? "control" : "label-free"
            )
          }),
      caption: "Held-out greedy accuracy after training on each arm's pairs.")
    if let d = t.distillation {
      doc.heading("Weaver distilled into one scorer", level: 3)
      doc.paragraph(
        "A scorer (LoRA adapters and a scalar head on SmolLM2 itself) trained by cross-entropy "
          + "on the \(d.trainRows) training candidates' P(correct) from Weaver, then used alone "
          + "to choose one of the held-out samples per question: one forward pass per sample "
          + "instead of five verifiers and a label model.")
      func pct(_ x: Double?) -> String { x.map(HTMLDocument.percent) ?? "–" }
      doc.table(
        headers: ["chooser", "best-of-N accuracy (held-out)", "pair accuracy"],
        rows: [
          ["full Weaver pipeline", pct(d.weaverAccuracy), pct(d.weaverPairAccuracy)],
          ["distilled scorer", pct(d.scorerAccuracy), pct(d.scorerPairAccuracy)],
        ], numericColumns: [1, 2])
    }
  }

  /// The comparison as aligned text for the terminal.
  func text() -> String {
    var lines = ["", headline, ""]
    let width = (study.methods.map(\.name.count).max() ?? 10) + 2
    for m in study.methods {
      let bar = String(repeating: "█", count: Int((m.accuracy * 40).rounded()))
      lines.append(
        m.name.padding(toLength: width, withPad: " ", startingAt: 0)
          + String(format: "%6.1f%%  ", m.accuracy * 100) + bar)
    }
    lines.append("")
    lines.append("verifier               estimated  true accuracy  AUROC")
    for v in study.verifiers {
      lines.append(
        v.name.padding(toLength: 22, withPad: " ", startingAt: 0)
          + (v.estimatedAccuracy.map { String(format: "%8.1f%%", $0 * 100) } ?? "  dropped")
          + (v.trueAccuracy.map { String(format: "  %8.1f%%", $0 * 100) } ?? "         –")
          + (v.auroc.map { String(format: "     %.3f", $0) } ?? "      –"))
    }
    lines.append("")
    lines.append(
      "Master keys: self-judge false-positive rate "
        + (probe.falsePositiveRate.map(HTMLDocument.percent) ?? "–") + " with the content check ("
        + (probeWithoutCheck.falsePositiveRate.map(HTMLDocument.percent) ?? "–")
        + " for the model alone) over \(probe.keys.reduce(0) { $0 + $1.scored }) (question, key) "
        + "pairs; the check rejected \(contentCheckRejected.samples) real samples "
        + "(\(contentCheckRejected.correct) correct)")
    if let training { lines += [""] + trainingLines(training) }
    if !online.isEmpty {
      lines += ["", "Online RL (GRPO, LoRA), held-out greedy accuracy before → after:"]
      for arm in online {
        lines.append(
          String(
            format: "  %-8@ %5.1f%% → %5.1f%%  (%.0f s)", arm.reward as NSString, arm.before * 100,
            arm.after * 100, arm.seconds))
      }
    }
    lines.append(String(format: "Total time %.0f s", totalSeconds))
    return lines.joined(separator: "\n")
  }

  /// The figures as JSON (for the closing note and regression checks).
  func summary() -> [String: Any] {
    [
      "model": model, "questions": questions, "samples": samples, "task_seed": taskSeed,
      "difficulty": difficulty, "weaver": weaverSettings,
      "temperature": Double(sampling.temperature), "max_tokens": sampling.maxTokens,
      "methods": study.methods.map {
        ["name": $0.name, "kind": $0.kind.rawValue, "accuracy": $0.accuracy] as [String: Any]
      },
      "verifiers": study.verifiers.map { v -> [String: Any] in
        var o: [String: Any] = ["name": v.name, "kept": v.kept]
        if let e = v.estimatedAccuracy { o["estimated_accuracy"] = e }
        if let t = v.trueAccuracy { o["true_accuracy"] = t }
        if let r = v.positiveRate { o["positive_rate"] = r }
        if let a = v.auroc { o["auroc"] = a }
        return o
      },
      "label_model": study.weaver.fitted.method,
      "estimated_class_balance": study.weaver.fitted.classBalance,
      "true_class_balance": study.correctShare,
      "master_keys": [
        "false_positive_rate": probe.falsePositiveRate ?? NSNull(),
        "false_positive_rate_model_alone": probeWithoutCheck.falsePositiveRate ?? NSNull(),
        "content_check_rejected_samples": contentCheckRejected.samples,
        "content_check_rejected_correct": contentCheckRejected.correct,
        "keys": probe.keys.map {
          ["key": $0.key, "scored": $0.scored, "positives": $0.positives] as [String: Any]
        },
      ] as [String: Any],
      "seconds": Dictionary(timings.map { ($0.0, $0.1) }, uniquingKeysWith: +),
      "total_seconds": totalSeconds,
      "online": online.map {
        ["reward": $0.reward, "before": $0.before, "after": $0.after, "seconds": $0.seconds]
          as [String: Any]
      },
      "training": training.map { t -> [String: Any] in
        [
          "base_correct": t.baseCorrect, "held_out": t.heldOutTotal,
          "train_candidates": t.trainCandidates, "train_correct_share": t.trainCorrectShare,
          "arms": t.arms.map {
            [
              "name": $0.name, "examples": $0.examples, "right_way": $0.rightWay,
              "wrong_way": $0.wrongWay, "held_out_correct": $0.heldOutCorrect,
              "seconds": $0.trainSeconds,
            ] as [String: Any]
          },
          "distillation": t.distillation.map { d -> [String: Any] in
            [
              "train_rows": d.trainRows, "scorer_best_of_n": d.scorerAccuracy,
              "weaver_best_of_n": d.weaverAccuracy,
              "scorer_pair_accuracy": d.scorerPairAccuracy ?? NSNull(),
              "weaver_pair_accuracy": d.weaverPairAccuracy ?? NSNull(), "seconds": d.seconds,
            ]
          } ?? NSNull(),
        ]
      } ?? NSNull(),
    ]
  }

  func clip(_ s: String, _ n: Int = 160) -> String {
    let t = s.trimmingCharacters(in: .whitespacesAndNewlines)
    return t.count > n ? String(t.prefix(n)) + "…" : t
  }

  /// The online RL runs: before and after on the held-out suite, and their curves.
  func appendOnline(to doc: inout HTMLDocument) {
    doc.heading("Online RL: GRPO from a verifiable reward and from weak verifiers")
    doc.paragraph(
      "GRPO with LoRA on the training suite, a short run: once rewarded by the math verifier "
        + "against the hidden answer, once by the label-free weaver reward (Dawid–Skene over the "
        + "completion's self-certainty, mean log-prob, agreement with the other completions of "
        + "its prompt and a final-answer format check; no answer seen), once by the group's "
        + "majority answer as pseudo-label (TTRL; no answer seen). Held-out greedy accuracy "
        + "before the first step and after the last, beside no training and the offline arms "
        + "above; each run's own report.html has every curve.")
    // Side by side with no training and with the offline arms above (same held-out suite).
    let base = online.first?.before ?? 0
    var rows = [["no training", "", HTMLDocument.percent(base), "", "", ""]]
    for arm in training?.arms ?? [] {
      rows.append([
        "offline: \(arm.name == "raft" ? "RAFT (SFT)" : "DPO on \(arm.name) pairs")", "",
        HTMLDocument.percent(arm.heldOutAccuracy),
        String(format: "%+.1f pts", (arm.heldOutAccuracy - base) * 100),
        String(format: "%.0f", arm.trainSeconds), "",
      ])
    }
    for arm in online {
      rows.append([
        "online: GRPO, \(arm.reward) reward", HTMLDocument.percent(arm.before),
        HTMLDocument.percent(arm.after),
        String(format: "%+.1f pts", (arm.after - arm.before) * 100),
        String(format: "%.0f", arm.seconds), "online/\(arm.reward)/report.html",
      ])
    }
    doc.table(
      headers: ["arm", "held-out before", "held-out after", "change", "seconds", "report"],
      rows: rows, numericColumns: [1, 2, 3, 4])
    doc.figure(
      SVGChart.lines(
        online.map { arm in
          SVGChart.Series(label: arm.reward, points: arm.rewardCurve.map { (x: $0.0, y: $0.1) })
        }, xLabel: "step", yLabel: "mean reward"),
      caption: "Mean reward of the sampled completions per step (each run by its own reward).")
    doc.figure(
      SVGChart.lines(
        online.map { arm in
          SVGChart.Series(label: arm.reward, points: arm.accuracyCurve.map { (x: $0.0, y: $0.1) })
        }, xLabel: "step", yLabel: "held-out accuracy"),
      caption: "Held-out greedy accuracy (math verifier) before and after.")
  }
}
