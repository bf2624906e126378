import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct DeriveCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "derive",
        abstract: "Derive a descendant's node key file from the root or from an ancestor's node key.",
        discussion: """
            Derivation is deterministic: the same path gives the same keys on any machine. A parent derives \
            every descendant; a node cannot derive its parent or its siblings. The key file is written 0600, \
            with a checksum; --encrypt also encrypts it under a passphrase, as the root key is.
            Example: arbor derive eu/node-7 --root root.key -o node-7.key
            """
    )

    @Argument(help: "The node's path, e.g. eu/node-7 (a branch after a parent-ordered rekey: eu/node-7#1).")
    var path: String

    @Option(name: .long, help: ArgumentHelp("The encrypted root key file.", valueName: "file"))
    var root: String?

    @Option(name: .nodeKey, help: ArgumentHelp("An ancestor's node key file, instead of --root.", valueName: "file"))
    var key: String?

    @Option(name: .output, help: ArgumentHelp("Where to write the node key file.", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var passphrase: PassphraseOptions
    @OptionGroup var encryption: KeyEncryptionOptions
    @OptionGroup var output: OutputOptions

    /// Checked in `run` rather than `validate`, so a mistake is one line with exit status 2.
    private func checkOptions() throws {
        guard (root == nil) != (key == nil) else {
            throw ArborError(.invalidArgument, "derive from either --root ROOT.key or --key ANCESTOR.key")
        }
    }

    func run() async throws {
        try checkOptions()
        let target = try parsePath(path)
        let ancestor =
            if let root { try openRoot(root, passphrase: passphrase.source).node } else {
                try readNodeKey(key!, passphrase: passphrase.source)
            }
        let secret = try ancestor.descendant(target)
        try writeNodeKey(secret, to: out, protection: try encryption.protection(for: "node key \(out)"), overwrite: force)
        let result = try DerivationSummary(secret, path: target, keyFile: out)
        try output.emit(result, human: "wrote node key \(out) (mode 0600) for \(target)\nkey id \(result.keyID)")
    }
}
