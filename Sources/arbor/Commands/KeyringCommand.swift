import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct KeyringCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyring",
        abstract: "Mesh keyrings: any node holding one decrypts what any other sealed, with no key server.",
        discussion: """
            A keyring's epoch seeds derive from its owner node's secret, so the owner and the root can always \
            re-create it. Every holder can decrypt and also seal, so keep keyrings narrow and require origin \
            signatures where authenticity matters. A keyring is named by a file path, or by a name looked up as \
            $ARBOR_KEYRINGS/NAME.keyring (default ~/.config/arbor/keyrings). Token rules: docs/formats.md.
              arbor keyring create payments --key eu.key
              echo -n 'card 4111' | arbor keyring seal payments --origin eu/node-7 --context order-42
              arbor keyring open payments --context order-42 <<< 'arbor:v1:...'
            """,
        subcommands: [
            KeyringCreateCommand.self, KeyringRotateCommand.self, KeyringRetireCommand.self, KeyringRewrapCommand.self,
            KeyringSealCommand.self, KeyringOpenCommand.self, KeyringShowCommand.self,
        ]
    )
}

/// The keyring a command works on, in the keyring directory (ArborKeyStore's `KeyringDirectory`).
struct KeyringLocation: ParsableArguments {
    @Argument(help: "The keyring: a file path, or a name in $ARBOR_KEYRINGS (default ~/.config/arbor/keyrings).")
    var keyring: String

    @OptionGroup var keyPassphrase: KeyPassphraseOptions

    var operations: KeyringOperations<KeyringDirectory> {
        KeyringOperations(store: KeyringDirectory(passphrase: keyPassphrase.source))
    }
}

/// The owner's secret: the root (with its passphrase) or a node key file, optionally moved down to `--owner`.
struct KeyringOwnerOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The encrypted root key file.", valueName: "file"))
    var root: String?

    @Option(name: .nodeKey, help: ArgumentHelp("A node key file, instead of --root.", valueName: "file"))
    var key: String?

    @Option(name: .long, help: "The owner's path, below the given key (default: the key's own node).")
    var owner: String?

    @OptionGroup var passphrase: PassphraseOptions

    func load() throws -> NodeSecret {
        guard (root == nil) != (key == nil) else {
            throw ArborError(.invalidArgument, "name the owner's key with either --root ROOT.key or --key NODE.key")
        }
        let secret =
            if let root { try openRoot(root, passphrase: passphrase.source).node } else {
                try readNodeKey(key!, passphrase: passphrase.source)
            }
        return try secret.keyringOwner(at: try owner.map(parsePath))
    }
}

extension KeyringSummary {
    var text: String {
        "keyring \(name) of \(owner) (\(identifier)), \(cipher), active epoch \(activeEpoch), holds epochs \(heldEpochs.map(String.init).joined(separator: ",")), refuses below \(minimumEpoch)\nfile \(file)"
    }
}

struct KeyringCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a keyring at epoch 1 (file mode 0600).")

    @Argument(help: "The keyring's name (a-z, 0-9, '-', '_', '.'), or a file path ending in .keyring.")
    var keyring: String

    @Option(name: .long, help: "chacha20-poly1305 (default) or aes-256-gcm.")
    var cipher: String = "chacha20-poly1305"

    @OptionGroup var owner: KeyringOwnerOptions
    @OptionGroup var encryption: KeyEncryptionOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let store = KeyringDirectory(newFiles: try encryption.protection(for: "keyring"))
        let summary = try KeyringOperations(store: store).create(
            keyring, owner: try owner.load(), cipher: try MeshKeyring.Cipher(parsing: cipher))
        try output.emit(summary, human: "created " + summary.text)
    }
}

struct KeyringRotateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate", abstract: "Make the next epoch active; older epochs still decrypt until retired. Needs the owner's key.")

    @OptionGroup var location: KeyringLocation
    @OptionGroup var owner: KeyringOwnerOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let summary = try location.operations.rotate(location.keyring, owner: try owner.load(), descendToOwner: owner.owner == nil)
        try output.emit(summary, human: "rotated " + summary.text)
    }
}

struct KeyringRetireCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retire", abstract: "Retire every epoch below the given one: its seeds are deleted and its ciphertexts refused.")

    @OptionGroup var location: KeyringLocation

    @Option(name: .long, help: "The lowest epoch still accepted.")
    var below: UInt32

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let outcome = try location.operations.retire(location.keyring, below: below)
        guard outcome.retired else {
            return try output.emit(
                outcome.summary,
                human: "nothing to retire: epochs below \(outcome.previousMinimum) are already refused; " + outcome.summary.text)
        }
        try output.emit(outcome.summary, human: "retired epochs below \(below): " + outcome.summary.text)
    }
}

struct TokenOptions: ParsableArguments {
    @Option(name: .long, help: "Context bound to the message; the same context must be given to open it.")
    var context: String = ""

    var contextBytes: [UInt8] { Array(context.utf8) }
}

struct KeyringSealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal", abstract: "Seal standard input (up to 64 MiB) into a compact arbor:v1: token on standard output.")

    @OptionGroup var location: KeyringLocation

    @Option(name: .long, help: "The sealing node's path, recorded in the token.")
    var origin: String

    @Option(name: .long, help: ArgumentHelp("Sign the token with this node key (its path must be --origin).", valueName: "file"))
    var signWith: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "With --sign-with: hybrid (Ed25519 + ML-DSA-65 over the token and its context, about 3.4 kB) or ed25519 (64 bytes, the first format: not post-quantum, does not cover the context).",
            valueName: "kind"))
    var signature: String = "hybrid"

    @OptionGroup var token: TokenOptions

    func run() async throws {
        let kind = try MeshToken.OriginSignature.Kind(parsing: signature)
        var plaintext = [UInt8](try readInput(nil))
        defer { plaintext.wipe() }
        let signer = try signWith.map { try readNodeKey($0, passphrase: location.keyPassphrase.source).keySet() }
        let sealed = try location.operations.seal(
            location.keyring, plaintext: plaintext, context: token.contextBytes, origin: try parsePath(origin), time: nowMilliseconds(),
            signer: signer, signature: kind)
        print(sealed.text)
    }
}

/// The nodes whose origin signatures a command accepts: each `--signer-chain` verified against the
/// trust options, and allowed to sign.
struct SignerChainOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Require a signature by the node of this certificate chain (repeatable).", valueName: "file"))
    var signerChain: [String] = []

    @Flag(
        name: .long,
        help:
            "Also accept origin signatures made with Ed25519 alone (the first token format: not post-quantum, does not cover the context).")
    var acceptEd25519 = false

    @OptionGroup var trust: TrustOptions

    /// `.requireSignature` over the verified signers, or `.anyHolder` without --signer-chain.
    func policy() throws -> MeshKeyring.OriginPolicy {
        let chains = try signerChain.map { (name: $0, chain: try readChain($0)) }
        let (policy, accepted) = try OriginSigners.policy(
            chains: chains, verifier: try trust.verifier(), at: now(), acceptEd25519: acceptEd25519)
        for signer in accepted {
            FileHandle.standardError.write(
                Data(
                    "arbor: accepting origin signatures by \(signer.path) of cluster '\(signer.cluster)' (root \(signer.rootKeyID.shortHex))\n"
                        .utf8))
        }
        return policy
    }
}

struct KeyringOpenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "open",
        abstract: "Open an arbor:v1: token from standard input; the plaintext goes to standard output.",
        discussion: """
            With --signer-chain, the token must carry a hybrid signature by one of those nodes, each chain verified \
            against --anchor and the trust store (--accept-ed25519 also accepts the first, Ed25519-only format). \
            With --replay-state, a token already opened within the window, or dated outside it, is refused; the \
            file remembers opened tokens across runs (one file per service; a lock serialises concurrent runs). \
            Without it nothing is remembered: a token at rest may be opened any number of times.
            """
    )

    @OptionGroup var location: KeyringLocation
    @OptionGroup var token: TokenOptions
    @OptionGroup var signers: SignerChainOptions

    @Option(
        name: .long,
        help: ArgumentHelp("Refuse replays: remember opened tokens in this file (0600, created if missing).", valueName: "file"))
    var replayState: String?

    @Option(name: .long, help: "With --replay-state: how far a token's time may be from now, in seconds, either way.")
    var replayWindow: Int64 = 300

    func run() async throws {
        try ReplayCheck.checkWindow(replayWindow)
        // The keyring is loaded (and a missing one reported) before standard input is read.
        _ = try location.operations.store.load(location.keyring)
        let text = String(decoding: try readInput(nil, limit: 100 << 20), as: UTF8.self)
        let replay = try replayState.map {
            try ReplayCheck(store: LockedStateFile(path: $0), windowSeconds: replayWindow, now: nowMilliseconds())
        }
        var plaintext = try location.operations.open(
            location.keyring, tokenText: text, context: token.contextBytes, origin: try signers.policy(), replay: replay)
        defer { plaintext.wipe() }
        writeStandardOutput(plaintext)
    }
}

struct KeyringRewrapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rewrap",
        abstract: "Move tokens to the active epoch without showing their plaintext: a stream, or a token file in place.",
        discussion: """
            Without TOKEN-FILE, reads one token per line on standard input and writes one new token per line, in \
            order; a line that fails stops the batch with its line number. With --origin, the new tokens name the \
            rewrapping node as origin and are not signed: their origin was not checked. With --attest-with and \
            --signer-chain, each token's origin signature must verify, and the new token keeps that origin, with a \
            hybrid rewrap attestation by the --attest-with node.

            With TOKEN-FILE (one token per line, optionally followed by a tab and data kept as it is), a resumable \
            job moves the file in place, in batches of --batch lines: each new token is checked to open to the same \
            plaintext before it is written, each batch is made durable with the job's progress in TOKEN-FILE.rewrap-state, \
            and the file is replaced only when every line is done. Ctrl-C (or SIGTERM) pauses at the end of the \
            batch, as does --pause-after; the same command resumes. Tokens already at the active epoch are copied, \
            so a second run changes nothing. The job takes --origin.
            """
    )

    @OptionGroup var location: KeyringLocation

    @Argument(help: ArgumentHelp("A token file to move in place, as a resumable job.", valueName: "token-file"))
    var tokenFile: String?

    @Option(name: .long, help: "The rewrapping node's path, recorded in the new tokens (without --attest-with).")
    var origin: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Keep each token's verified origin, attested by this node key (needs --signer-chain).", valueName: "file"))
    var attestWith: String?

    @Option(name: .long, help: ArgumentHelp("Lines per batch of a token-file job (default 1000).", valueName: "lines"))
    var batch: Int = 1000

    @Option(name: .long, help: ArgumentHelp("Pause a token-file job after this many batches.", valueName: "batches"))
    var pauseAfter: Int?

    @OptionGroup var signers: SignerChainOptions
    @OptionGroup var token: TokenOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        guard (origin == nil) != (attestWith == nil) else {
            throw ArborError(.invalidArgument, "give either --origin (unsigned rewrap) or --attest-with (keep a verified origin)")
        }
        guard attestWith != nil || signers.signerChain.isEmpty else {
            throw ArborError(.invalidArgument, "--signer-chain checks the origins that --attest-with keeps; --origin drops them")
        }
        let keyring = try location.operations.store.load(location.keyring)
        if let tokenFile {
            guard let origin else {
                throw ArborError(
                    .invalidArgument, "a token-file job records the rewrapping node with --origin; --attest-with is for a stream")
            }
            return try runJob(tokenFile, keyring: keyring, origin: try parsePath(origin))
        }
        let policy = try signers.policy()
        let attester = try attestWith.map { try readNodeKey($0, passphrase: location.keyPassphrase.source).keySet() }
        // One of the two is set (checked above); the unsigned form records this node.
        let rewrapOrigin: KeyringOperations<KeyringDirectory>.RewrapOrigin =
            if let attester { .attested(policy: policy, attester: attester) } else { .replacedBy(try parsePath(origin ?? "/")) }
        let lines = String(decoding: try readInput(nil, limit: 1 << 30), as: UTF8.self).split(whereSeparator: \.isNewline)
        for (index, line) in lines.enumerated() {
            do {
                let new = try location.operations.rewrap(
                    String(line), in: keyring, context: token.contextBytes, origin: rewrapOrigin, time: nowMilliseconds())
                print(new.text)
            } catch let error as ArborError {
                throw ArborError(error.code, "line \(index + 1): \(error.message)")
            }
        }
    }

    private func runJob(_ path: String, keyring: MeshKeyring, origin: TreePath) throws {
        let job = try RewrapJob(
            files: RewrapJobDirectory(tokenFile: path), keyring: keyring, context: token.contextBytes, origin: origin, batchSize: batch)
        Interruption.catching()
        let progress = JobProgress.onTerminal("rewrap", json: output.json)
        var batches = 0
        let report = try readingFile(path) {
            try job.run(
                time: nowMilliseconds,
                shouldPause: {
                    batches += 1
                    return Interruption.requested || pauseAfter.map { batches >= $0 } ?? false
                },
                progress: { progress?.show(lines: $0.lines, doneBytes: $0.consumed, totalBytes: $0.inputSize) })
        }
        progress?.end()
        try output.emit(report, human: report.text(path))
        if report.paused, Interruption.requested { throw ExitCode(130) }
    }
}

extension RewrapJobReport {
    func text(_ path: String) -> String {
        let counts = "\(counted(rewrapped, "token")) moved to epoch \(targetEpoch), \(alreadyCurrent) already there"
        let resumed = resumedAfterLine > 0 ? " (resumed after line \(resumedAfterLine))" : ""
        if paused {
            return "paused after line \(lines) of \(path)\(resumed): \(counts); run the same command again to go on"
        }
        return "rewrapped \(path)\(resumed): \(counted(lines, "line")), \(counts)"
    }
}

struct KeyringShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a keyring's name, owner, cipher and epochs (never its seeds).")

    @OptionGroup var location: KeyringLocation
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let summary = try location.operations.summary(location.keyring)
        try output.emit(summary, human: summary.text)
    }
}

func nowMilliseconds() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }
