import ArgumentParser

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure Arbor's operations against the raw primitive, in the same process (build with -c release).",
        discussion: "Results and the exact commands are recorded in docs/performance.md.",
        subcommands: [BenchCustodyCommand.self, BenchSealCommand.self, BenchE2EECommand.self, BenchE2EERelayCommand.self]
    )
}
