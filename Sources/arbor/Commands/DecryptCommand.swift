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
            Identity files hold AGE-SECRET-KEY-1… (X25519) or AGE-SECRET-KEY-PQ-1… (post-quantum) lines, as written \
            by 'arbor keygen' or age-keygen. Without -i, a passphrase-encrypted file asks for its passphrase. \
            Plaintext is released chunk by chunk, each only after its tag verified. With -o, the file appears only \
            when the whole input verified; until then it is a hidden .arbor-tmp-* file in the same directory, \
            removed on any error and on Ctrl-C, SIGTERM or SIGHUP (not after SIGKILL). On standard output, an \
            error can come after some verified plaintext. Without -o, plaintext with control characters (binary) \
            is not written to a terminal; -o - writes it to standard output anyway. \
            Errors: a modified or reordered file (exit 3), a file asking for more work \
            than allowed before it is authenticated (scrypt above 2^22, an arbor-tree epoch too far ahead: exit 3), \
            no matching identity or a wrong passphrase (exit 4), a malformed or truncated file (exit 5). A file \
            that ends where a chunk or its tag should be, or without its final chunk, is truncated; a last piece \
            that is there but fails its tag is exit 3 (a cut inside it and a modification look the same).
            """
    )

    @Option(
        name: [.customShort("i"), .customLong("identity")],
        help: ArgumentHelp("An identity file (age format; repeat for several).", valueName: "file"))
    var identityFiles: [String] = []

    @Option(name: .output, help: ArgumentHelp("Write to this file ('-': standard output).", valueName: "file"))
    var output: String?

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Option(
        name: .long, help: ArgumentHelp("For a passphrase-encrypted file: read the passphrase from this file.", valueName: "file"))
    var passphraseFile: String?

    @Option(
        name: .long, help: ArgumentHelp("A mesh keyring to decrypt with (a name or a .keyring path; repeatable).", valueName: "keyring"))
    var keyring: [String] = []

    @Option(
        name: .nodeKey,
        help: ArgumentHelp(
            "A node key file (repeatable): opens files sealed to its storage key or any node's below it (encrypt --key), "
                + "and files encrypted to its age1pq1… or age1… recipient (encrypt --to-node).",
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
            identities += try readingFile(file) { try AgeIdentity.parseFile(try AgeStreamIO.readIdentityFile(file, input: input)) }
        }
        let keyrings = KeyringDirectory(passphrase: keyPassphrase.source)
        identities += try keyring.map { .meshKeyring(try keyrings.load($0)) }
        for file in nodeKey {
            let secret = try readNodeKey(file, passphrase: keyPassphrase.source)
            let node = try secret.keySet()
            identities += [.treeNode(secret), .postQuantum(of: node), .x25519(of: node)]
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
        let source = try readingFile(input) { try AgeStreamIO.Input(path: input) }
        defer { source.close() }
        let sink = try AgeStreamIO.Output(path: output, mode: .secret, overwrite: force)
        let guarded = TerminalOutput.isGuardedTerminal(output: output)
        // An error of the output is not one of the input file, which the others name.
        var outputError: (any Error)?
        let release = { (plaintext: Data) throws in
            do {
                guard !guarded || TerminalOutput.isText(plaintext) else {
                    throw ArborError(
                        .invalidArgument, "refusing to write binary plaintext to a terminal: use -o FILE, or -o - to write it anyway")
                }
                try sink.write(plaintext)
            } catch {
                outputError = error
                throw error
            }
        }
        do {
            try readingFile(input) {
                while true {
                    let piece = try source.read()
                    if piece.isEmpty { break }
                    try decryptor.update(piece) { try release($0) }
                }
                try decryptor.finish { try release($0) }
            }
            try sink.commit()
        } catch {
            sink.abandon()
            throw outputError ?? error
        }
    }
}
