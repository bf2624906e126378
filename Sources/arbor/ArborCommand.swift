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
            Start with 'arbor demo' to see the whole life of a key tree in a temporary directory. \
            Every command takes --help.

            A failure prints one line, 'arbor: error: …', naming the file it is about with the option \
            that named it, and exits with a status: 2 bad usage or input (a command line that does not \
            parse, a bad value); 3 verification or authentication failed (a signature, a certificate \
            chain, a revocation, a modified age chunk); 4 wrong passphrase or no matching key; 5 corrupt \
            file (a chain, certificate, revocation list, signature, bundle, key or age file that is \
            damaged, truncated or not what the option expects); 6 file problem (missing, exists \
            already, unreadable, permissions). With --json, a failure also prints \
            {"error":{"code":…,"message":…,"reason":…}} on standard output.
            """,
        version: ArborVersion.current,
        subcommands: [
            RootCommand.self, DeriveCommand.self, CertCommand.self, RevokeCommand.self, RekeyCommand.self,
            TrustCommand.self, FingerprintCommand.self, KeyringCommand.self, InspectCommand.self, SignCommand.self, VerifyCommand.self,
            DemoCommand.self,
            EncryptCommand.self, DecryptCommand.self, KeygenCommand.self,
            SharesCommand.self, HSSCommand.self, AuditCommand.self, BenchCommand.self, ServeCommand.self,
            ClusterCommand.self,
            EnrollCommand.self,
            ChatCommand.self,
        ]
    )

    /// Turns every failure into one line on stderr (and, with --json, an error object on stdout)
    /// and an exit status; no stack traces.
    static func main() async {
        AllocatorTuning.keepStreamBuffersInHeap()
        // Ctrl-C or a kill must not leave a temporary file (decrypted plaintext, a key) behind.
        TemporaryFiles.removeOnTermination()
        var command: any ParsableCommand
        do {
            // Old option spellings still work: they are rewritten to today's before parsing.
            command = try parseAsRoot(LegacySpellings.rewrite(Invocation.arguments, root: ArborCommand.self))
        } catch {
            usageFailure(error)
        }
        Invocation.command = command
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let error as ArborError {
            fail(error)
        } catch let error where exitCode(for: error) == .success && isBareGroup(command) {
            // A command group run without a subcommand (bare 'arbor', 'arbor cert'): its help, and usage status.
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            Foundation.exit(usageStatus)
        } catch let error where String(reflecting: type(of: error)).hasPrefix("ArgumentParser.") {
            // Help, version and ArgumentParser's own exits (some of its error types are internal).
            exit(withError: error)
        } catch {
            // Anything else comes from the system (a file that cannot be read, a socket): still one
            // line, a status from the table and, with --json, the error object.
            fail(ArborError(.ioFailure, "\(error.localizedDescription)"))
        }
    }

    /// A command group named without a subcommand (and without asking for help), whose run shows its help.
    static func isBareGroup(_ command: any ParsableCommand) -> Bool {
        !type(of: command).configuration.subcommands.isEmpty
            && !Invocation.arguments.contains { ["-h", "--help", "help"].contains($0) }
    }

    /// The status of a command line that does not parse (ArgumentParser's own would be 64).
    static let usageStatus: Int32 = 2

    /// A failed command: its message on stderr, the error object on stdout with --json, the status of its category.
    static func fail(_ error: ArborError) -> Never {
        FileHandle.standardError.write(Data("arbor: error: \(error.message)\n".utf8))
        if Invocation.wantsJSON { printJSON(ErrorSummary(error)) }
        Foundation.exit(exitStatus(for: error.code))
    }

    /// A command line that does not parse: one line saying why and one naming the help to read,
    /// exit 2. --help and --version (ArgumentParser's clean exits) print and exit 0 as usual.
    static func usageFailure(_ error: any Error) -> Never {
        guard exitCode(for: error) != .success else { exit(withError: error) }
        let reason = message(for: error).split(separator: "\n").first.map(String.init) ?? "the command line does not parse"
        FileHandle.standardError.write(Data("arbor: error: \(reason)\nsee '\(commandPath()) --help'\n".utf8))
        if Invocation.wantsJSON { printJSON(ErrorSummary(usage: reason)) }
        Foundation.exit(usageStatus)
    }

    /// The subcommands named on the command line, e.g. "arbor cert show".
    static func commandPath() -> String {
        var names = ["arbor"]
        var current: any ParsableCommand.Type = ArborCommand.self
        for argument in Invocation.arguments {
            guard
                let next = current.configuration.subcommands.first(where: {
                    $0._commandName == argument || $0.configuration.aliases.contains(argument)
                })
            else { break }
            names.append(next._commandName)
            current = next
        }
        return names.joined(separator: " ")
    }

    private static func printJSON(_ value: some Encodable) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(value) { print(String(decoding: data, as: UTF8.self)) }
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
