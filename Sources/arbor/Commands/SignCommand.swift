import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct SignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Sign a file or standard input with a node's keys: a detached Ed25519 + ML-DSA-65 signature.",
        discussion: """
            The signature carries the node's certificate chain, so a verifier needs only its trusted roots.
              arbor sign --key node-7.key --chain node-7.chain -o release.tar.sig release.tar
            --json prints what was signed, with the signature itself when there is no -o.
            """
    )

    @Option(name: .nodeKey, help: ArgumentHelp("The signing node's key file.", valueName: "file"))
    var key: String

    @Option(name: .chain, help: ArgumentHelp("The node's certificate chain.", valueName: "file"))
    var chain: String

    @Option(name: .output, help: ArgumentHelp("Where to write the signature (default: standard output).", valueName: "file"))
    var out: String?

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @Argument(help: "The file to sign (default: standard input).")
    var input: String?

    /// --json: what was signed, with the signature itself when there is no -o.
    @OptionGroup var keyPassphrase: KeyPassphraseOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let signer = try readNodeKey(key, passphrase: keyPassphrase.source).keySet()
        var hasher = DetachedSignature.ContentHasher()
        try streamInput(input) { hasher.update($0) }
        let signature = try DetachedSignature(digest: hasher.finalize(), signer: signer, chain: try readChain(chain), time: now())
        let file = out.flatMap { $0 == "-" ? nil : $0 }
        if let file { try SecureFile.write(signature.armored, to: file, mode: .public, overwrite: force) }
        if output.json {
            try output.emit(DetachedSignatureSummary(signature, signer: signer, file: file), human: "")
        } else if file == nil {
            print(signature.armored, terminator: "")
        }
    }
}

struct VerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a detached signature: the content, the signer's chain up to a trusted root, revocations.",
        discussion: "Exit status 3 when the signature, the chain or the signer's standing fails."
    )

    @Option(name: [.short, .long], help: ArgumentHelp("The signature file.", valueName: "file"))
    var signature: String

    @Argument(help: "The signed file (default: standard input).")
    var input: String?

    @OptionGroup var trust: TrustOptions

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let detached = try readingFile(signature) { try DetachedSignature(armored: try SecureFile.read(signature)) }
        var hasher = DetachedSignature.ContentHasher()
        try streamInput(input) { hasher.update($0) }
        let verified = try detached.verify(
            digest: hasher.finalize(), verifier: try trust.verifier(), at: now())
        let result = SignatureVerificationSummary(detached, verified: verified)
        try output.emit(
            result,
            human:
                "good signature by \(result.signer) epoch \(verified.leaf.epoch) (key \(verified.leaf.keyID.shortHex)), signed \(result.signedAt)\nchain: \(verified.chain.certificates.map(\.path.description).joined(separator: " -> ")) in cluster '\(result.cluster)' (root \(verified.anchor.keyID.shortHex))"
        )
    }
}
