import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct FingerprintCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fingerprint",
        abstract: "Show the safety number of a cluster root, from a root certificate, a chain or a trust bundle.",
        discussion: "Both sides of an in-person check run this and compare the digits or the words."
    )

    @Argument(help: "A root certificate, certificate chain or trust bundle file.")
    var file: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let result = try readingFile(file) { try RootFingerprintSummary(armored: try SecureFile.read(file), named: file) }
        try output.emit(result, human: "root key id \(result.rootKeyID)\n\(result.safetyNumber.text)")
    }
}
