import ArborCore
import ArborKeyStore
import ArborOperations
import ArborSeal
import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

struct EncryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encrypt",
        abstract: "Encrypt a file or stream to age recipients or a passphrase (the age v1 format).",
        discussion: """
            The output is a standard age v1 file: 'age -d' decrypts it, and 'arbor decrypt' decrypts files made \
            by age. Recipients are age1… (X25519) or age1pq1… (post-quantum ML-KEM-768 + X25519); the two kinds \
            are not mixed in one file. --to-node takes a node's certificate chain instead of a pasted recipient: the \
            chain is verified (trusted roots, revocations) and the node's post-quantum key is used. \
            -p encrypts with a passphrase instead (scrypt), which must be alone. \
            Reads IN (default: standard input) and writes OUT (default: standard output) in constant memory. \
            With -o, the file appears only when complete. \
            Without -o, binary output is not written to a terminal: use -a, -o FILE, or -o - to write it anyway.
            """
    )

    @Option(
        name: [.customShort("r"), .customLong("recipient")], help: ArgumentHelp("An age1… or age1pq1… recipient.", valueName: "recipient"))
    var recipients: [String] = []

    @Option(
        name: [.customShort("R"), .customLong("recipients-file")],
        help: ArgumentHelp("A file of recipients, one per line ('#' comments allowed).", valueName: "file"))
    var recipientsFiles: [String] = []

    @Flag(name: [.customShort("p"), .customLong("passphrase")], help: "Encrypt with a passphrase (scrypt) instead of recipients.")
    var usePassphrase = false

    @Flag(name: [.customShort("a"), .customLong("armor")], help: "Write the ASCII-armored (PEM) form.")
    var armor = false

    @Option(name: .output, help: ArgumentHelp("Write to this file ('-': standard output).", valueName: "file"))
    var output: String?

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Option(
        name: .long, help: ArgumentHelp("With -p: read the passphrase from the first line of this file.", valueName: "file"))
    var passphraseFile: String?

    @Option(
        name: .long, help: ArgumentHelp("Seal to a mesh keyring (a name or a .keyring path): every holder decrypts.", valueName: "keyring"))
    var keyring: String?

    @Option(
        name: .long, help: ArgumentHelp("With --keyring: the sealing node's path, recorded in the stanza.", valueName: "path"))
    var origin: String = "/"

    @Option(
        name: .nodeKey,
        help: ArgumentHelp("Seal to the storage key of this node key file: the node and all its ancestors decrypt.", valueName: "file"))
    var treeKey: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "Encrypt to the node of this certificate chain (repeatable): its post-quantum age1pq1… key, once the chain verifies.",
            valueName: "chain"))
    var toNode: [String] = []

    @OptionGroup(title: "Trust (for --to-node)") var trust: TrustOptions
    @OptionGroup var keyPassphrase: KeyPassphraseOptions

    @Option(name: .long, help: .hidden)
    var unsafeScryptLogN: Int?

    @Argument(help: ArgumentHelp("The file to encrypt (default: standard input).", valueName: "in"))
    var input: String?

    func run() async throws {
        let recipientList = try loadRecipients()
        try AgeStreamIO.refuseBinaryOnTerminal(output: output, armored: armor)
        let source = try readingFile(input) { try AgeStreamIO.Input(path: input) }
        defer { source.close() }
        var encryptor = try AgeEncryptor(recipients: recipientList, armored: armor)
        let sink = try AgeStreamIO.Output(path: output, mode: .public, overwrite: force)
        do {
            while true {
                let piece = try source.read()
                if piece.isEmpty { break }
                try sink.write(try encryptor.update(piece))
            }
            try sink.write(try encryptor.finish())
            try sink.commit()
        } catch {
            sink.abandon()
            throw error
        }
    }

    private func keyringDirectory() -> KeyringDirectory { KeyringDirectory(passphrase: keyPassphrase.source) }

    private func loadRecipients() throws -> [AgeRecipient] {
        if usePassphrase {
            guard recipients.isEmpty, recipientsFiles.isEmpty else {
                throw ArborError(
                    .invalidArgument, "-p cannot be combined with -r or -R: a passphrase-encrypted file has no other recipient")
            }
            guard keyring == nil, treeKey == nil, toNode.isEmpty else {
                throw ArborError(.invalidArgument, "-p cannot be combined with --keyring, --key or --to-node")
            }
            let source = passphraseFile.map(PassphraseSource.file) ?? .terminal
            let passphrase = try source.read(prompt: "Enter passphrase: ", confirm: true)
            if let unsafeScryptLogN { return [try .scrypt(passphrase: passphrase, unsafeWorkFactor: unsafeScryptLogN)] }
            return [try .scrypt(passphrase: passphrase)]
        }
        guard passphraseFile == nil else { throw ArborError(.invalidArgument, "--passphrase-file goes with -p") }
        var list = try recipients.map { try AgeRecipient(parsing: $0) }
        if let keyring {
            list.append(.meshKeyring(try keyringDirectory().load(keyring), origin: try parsePath(origin), time: nowMilliseconds()))
        }
        if let treeKey { list.append(.treeStorageKey(of: try readNodeKey(treeKey, passphrase: keyPassphrase.source))) }
        list += try toNode.map(nodeRecipient)
        for file in recipientsFiles {
            list += try readingFile(file) { try AgeRecipient.parseFile(try AgeStreamIO.readKeyFile(file, input: input)) }
        }
        guard !list.isEmpty else {
            throw ArborError(
                .invalidArgument, "name at least one recipient with -r, -R, --keyring, --key or --to-node, or use -p for a passphrase")
        }
        return list
    }

    /// The post-quantum recipient of a node whose chain verifies (ArborOperations' `NodeRecipient`).
    private func nodeRecipient(_ chainFile: String) throws -> AgeRecipient {
        let verifier = try trust.verifier()
        let (recipient, verified) = try NodeRecipient.of(try readChain(chainFile), named: chainFile, verifier: verifier, at: now())
        // Name the cluster: a trusted partner's node can carry one of our path names (pin with --cluster).
        FileHandle.standardError.write(
            Data(
                "arbor: encrypting to \(verified.leaf.path) of cluster '\(verified.cluster)' (root \(verified.anchor.keyID.shortHex))\n"
                    .utf8))
        return recipient
    }
}

/// Streaming input and output for the age commands: files or standard input/output, read and
/// written in 2 MiB pieces so a batch of 32 chunks is sealed on all cores while memory stays flat.
enum AgeStreamIO {
    static let pieceSize = 2 << 20

    /// An identity or recipients file; "-" reads it from standard input, as in age, when the data
    /// does not come from there too.
    static func readKeyFile(_ path: String, input: String?) throws -> String {
        guard StandardInput.isNamed(by: path) else { return try SecureFile.read(path) }
        try checkStandardInputFree(input)
        try StandardInput.claim(for: "a recipients file")
        return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
    }

    /// An identity file, a secret: read into wiped-on-release memory, refused if others may read it.
    static func readIdentityFile(_ path: String, input: String?) throws -> SecretBytes {
        guard StandardInput.isNamed(by: path) else { return try SecureFile.readSecret(path) }
        try checkStandardInputFree(input)
        return try SecureFile.readSecret("-", what: "an identity file")
    }

    private static func checkStandardInputFree(_ input: String?) throws {
        guard let input, !StandardInput.isNamed(by: input) else {
            throw ArborError(.invalidArgument, "standard input cannot hold both a key file ('-') and the data: give the data as a file")
        }
    }

    /// "-" names standard output, as in age.
    static func isStandardOutput(_ path: String?) -> Bool { path == nil || path == "-" }

    static func refuseBinaryOnTerminal(output: String?, armored: Bool) throws {
        if !armored, TerminalOutput.isGuardedTerminal(output: output) {
            throw ArborError(
                .invalidArgument, "refusing to write binary age data to a terminal: use -a for armor, -o FILE, or -o - to write it anyway")
        }
    }

    final class Input {
        private let descriptor: Int32
        private let name: String
        private let owned: Bool

        init(path: String?) throws {
            guard let path, !StandardInput.isNamed(by: path) else {
                try StandardInput.claim(for: "the data")
                descriptor = STDIN_FILENO
                name = "standard input"
                owned = false
                return
            }
            guard FileManager.default.fileExists(atPath: path) else {
                throw ArborError(.fileNotFound, "'\(path)' does not exist; check the path")
            }
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw ArborError(.ioFailure, "cannot read '\(path)'; check its permissions") }
            name = "'\(path)'"
            owned = true
        }

        /// Up to one piece; empty at the end.
        func read() throws -> [UInt8] {
            var failure: Int32 = 0
            // Uninitialised capacity: the read fills it, so no time goes into zeroing 2 MiB per piece.
            let buffer = [UInt8](unsafeUninitializedCapacity: AgeStreamIO.pieceSize) { storage, initialized in
                var filled = 0
                while filled < storage.count {
                    let count = Glibc.read(descriptor, storage.baseAddress! + filled, storage.count - filled)
                    if count < 0 {
                        if errno == EINTR { continue }
                        failure = errno
                        break
                    }
                    if count == 0 { break }
                    filled += count
                }
                initialized = filled
            }
            guard failure == 0 else { throw ArborError(.ioFailure, "cannot read \(name): \(String(cString: strerror(failure)))") }
            return buffer
        }

        func close() { if owned { _ = Glibc.close(descriptor) } }
    }

    /// A file that appears only when complete, or standard output (no path, or "-").
    final class Output {
        private let file: AtomicOutputFile?

        init(path: String?, mode: SecureFile.Mode, overwrite: Bool) throws {
            guard !AgeStreamIO.isStandardOutput(path) else {
                file = nil
                return
            }
            file = try AtomicOutputFile(path: path!, mode: mode, overwrite: overwrite)
        }

        func write(_ bytes: some Collection<UInt8>) throws {
            if let file { return try file.write(bytes) }
            let failure =
                bytes.withContiguousStorageIfAvailable { SecureFile.writeAll($0, to: STDOUT_FILENO) }
                ?? Array(bytes).withUnsafeBufferPointer { SecureFile.writeAll($0, to: STDOUT_FILENO) }
            guard failure == 0 else {
                throw ArborError(.ioFailure, "cannot write to standard output: \(String(cString: strerror(failure)))")
            }
        }

        func commit() throws { try file?.commit() }

        func abandon() { file?.abandon() }
    }
}
