import ArgumentParser

/// The `whet` command line: thin front ends that turn flags into library calls.
@main
struct Whet: AsyncParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "whet",
    abstract: "Reward-driven post-training of language models, natively in Swift.",
    version: version,
    subcommands: [
      Demo.self, Tokenize.self, LogProbs.self, Generate.self, Chat.self, Tasks.self, Sample.self,
      ScoreCommand.self, Select.self, Eval.self, Pairs.self, Train.self, Compare.self, Export.self,
      ToyDemo.self,
    ]
  )

  /// Expands `--config FILE` into the flags it names before parsing.
  static func main() async {
    let arguments = Array(CommandLine.arguments.dropFirst())
    do {
      await main(try ConfigFile.expand(arguments))
    } catch {
      exit(withError: error)
    }
  }
}
