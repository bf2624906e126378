import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

@main
struct ArborCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arbor",
        abstract: "Arbor: one offline root key grows a tree of keys for every node of a cluster.",
        discussion: """
            Start with 'arbor demo' to see the whole life of a key tree in a temporary directory.
            Every command takes --help. Errors end with a one-line message and a non-zero exit status:
            2 bad usage or input, 3 verification or authentication failed, 4 wrong passphrase or no matching key,
            5 corrupt file, 6 file problem.
            """,
        subcommands: [
            RootCommand.self, DeriveCommand.self, CertCommand.self, RevokeCommand.self, RekeyCommand.self,
            TrustCommand.self, FingerprintCommand.self, KeyringCommand.self, InspectCommand.self, SignCommand.self, VerifyCommand.self,
            DemoCommand.self,
            EncryptCommand.self, DecryptCommand.self, KeygenCommand.self,
            SharesCommand.self, HSSCommand.self, AuditCommand.self, BenchCommand.self, ServeCommand.self,
        ]
    )

    /// Turns every failure into one line on stderr and an exit status; no stack traces.
    static func main() async {
        AllocatorTuning.keepStreamBuffersInHeap()
        // Ctrl-C or a kill must not leave a temporary file (decrypted plaintext, a key) behind.
        TemporaryFiles.removeOnTermination()
        do {
            var command = try parseAsRoot(LegacySpellings.rewrite(Array(CommandLine.arguments.dropFirst()), root: ArborCommand.self))
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ArborError {
            FileHandle.standardError.write(Data("arbor: error: \(error.message)\n".utf8))
            Foundation.exit(exitStatus(for: error.code))
        } catch {
            exit(withError: error)
        }
    }

    /// The exit status of each error category (ArborOperations derives the category from the code).
    static func exitStatus(for code: ArborError.Code) -> Int32 {
        switch ErrorCategory(code) {
        case .badInput, .internal: 2
        case .verificationFailed, .conflict, .limit: 3
        // A token of another keyring is "no matching key", as an age file for other recipients is.
        case .authentication: 4
        case .corrupt: 5
        case .notFound, .alreadyExists, .io: 6
        }
    }
}
