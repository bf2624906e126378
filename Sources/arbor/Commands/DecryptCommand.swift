import ArborCore
import ArborKeyStore
import ArborOperations
import ArborSeal
import ArgumentParser
import Foundation

struct DecryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decrypt",
        abstract: "Decrypt an age v1 file or stream (binary or armored) with identities or a passphrase.",
        discussion: """
            Identity files hold AGE-SECRET-KEY-1… (X25519) or AGE-SECRET-KEY-PQ-1… (post-quantum) lines, as written
            by 'arbor keygen' or age-keygen. Without -i, a passphrase-encrypted file asks for its passphrase.
            Plaintext is released chunk by chunk, each only after its tag verified. With -o, the file appears only
            when the whole input verified; until then it is a hidden .arbor-tmp-* file in the same directory,
            removed on any error and on Ctrl-C, SIGTERM or SIGHUP (not after SIGKILL). On standard output, an
            error can come after some verified plaintext. Without -o, plaintext with control characters (binary)
            is not written to a terminal; -o - writes it to standard output anyway.
            Errors: a modified or reordered file (exit 3), a truncated file (exit 3), a file asking for more work
            than allowed before it is authenticated (scrypt above 2^22, an arbor-tree epoch too far ahead: exit 3),
            no matching identity or a wrong passphrase (exit 4), a malformed file (exit 5).
            """
    )

    @Option(
        name: [.customShort("i"), .customLong("identity")],
        help: ArgumentHelp("An identity file (age format; repeat for several).", valueName: "file"))
    var identityFiles: [String] = []

    @Option(
        name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Write to this file (never overwritten).", valueName: "file"))
    var output: String?

    @Option(
        name: .long, help: ArgumentHelp("For a passphrase-encrypted file: read the passphrase from this file.", valueName: "file"))
    var passphraseFile: String?

    @Option(
        name: .long, help: ArgumentHelp("A mesh keyring to decrypt with (a name or a .keyring path; repeatable).", valueName: "keyring"))
    var keyring: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp("A node key file: opens files sealed to its storage key or to any node below it.", valueName: "file"))
    var treeKey: [String] = []

    @Option(
        name: .long,
        help: ArgumentHelp(
            "A node key file: opens files encrypted to that node's age1pq1… or age1… recipient (arbor encrypt --to-node).",
            valueName: "file"))
    var nodeKey: [String] = []

    @Option(
        name: .long, help: ArgumentHelp("The encrypted root key file: opens files sealed to any node's storage key.", valueName: "file"))
    var root: String?

    @Option(name: .long, help: ArgumentHelp("With --root: read the root key's passphrase from this file.", valueName: "file"))
    var rootPassphraseFile: String?

    @OptionGroup var keyPassphrase: KeyPassphraseOptions

    @Argument(help: ArgumentHelp("The file to decrypt (default: standard input).", valueName: "in"))
    var input: String?

    func run() async throws {
        var identities: [AgeIdentity] = []
        for file in identityFiles {
            do {
                identities += try AgeIdentity.parseFile(try AgeStreamIO.readIdentityFile(file, input: input))
            } catch let error as ArborError where error.code == .malformedInput {
                throw ArborError(.malformedInput, "\(file): \(error.message)")
            }
        }
        let keyrings = KeyringDirectory(passphrase: keyPassphrase.source)
        identities += try keyring.map { .meshKeyring(try keyrings.load($0)) }
        identities += try treeKey.map { .treeNode(try readNodeKey($0, passphrase: keyPassphrase.source)) }
        for file in nodeKey {
            let node = try readNodeKey(file, passphrase: keyPassphrase.source).keySet()
            identities += [.postQuantum(of: node), .x25519(of: node)]
        }
        if let root {
            let source = rootPassphraseFile.map(PassphraseSource.file) ?? .terminalNaming(option: "--root-passphrase-file")
            identities.append(.treeNode(try openRoot(root, passphrase: source).node))
        }
        let passphraseSource = passphraseFile.map(PassphraseSource.file) ?? .terminal
        let choice = DecryptionIdentities(given: identities, passphraseGiven: passphraseFile != nil) {
            try passphraseSource.read(prompt: "Enter passphrase: ")
        }
        var decryptor = AgeDecryptor { try choice.identities(for: $0) }
        let source = try AgeStreamIO.Input(path: input)
        defer { source.close() }
        let sink = try AgeStreamIO.Output(path: output, mode: .secret)
        let guarded = TerminalOutput.isGuardedTerminal(output: output)
        let release = { (plaintext: Data) throws in
            guard !guarded || TerminalOutput.isText(plaintext) else {
                throw ArborError(
                    .invalidArgument, "refusing to write binary plaintext to a terminal: use -o FILE, or -o - to write it anyway")
            }
            try sink.write(plaintext)
        }
        do {
            while true {
                let piece = try source.read()
                if piece.isEmpty { break }
                try decryptor.update(piece) { try release($0) }
            }
            try decryptor.finish { try release($0) }
            try sink.commit()
        } catch {
            sink.abandon()
            throw error
        }
    }
}
