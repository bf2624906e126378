import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct CertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert",
        abstract: "Issue, verify and show key certificate chains.",
        subcommands: [CertIssueCommand.self, CertVerifyCommand.self, CertShowCommand.self]
    )
}

struct CertIssueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issue",
        abstract: "Certify a descendant's keys, writing its chain from the root down.",
        discussion: """
            Each level between the issuer and the node is certified by its parent with Ed25519 and ML-DSA-65.
            Example: arbor cert issue eu/node-7 --root root.key -o node-7.chain
            """
    )

    @Argument(help: "The path of the node to certify.")
    var path: String

    @OptionGroup var issuer: IssuerOptions

    @Option(name: .long, help: "Certify this epoch of the node (a parent derives every epoch; gives a self-rekeyed node a short chain).")
    var epoch: UInt32 = 0

    @Option(name: .long, help: "Usages of the node's key: sign, agree, certify, comma-separated.")
    var usage: String = "sign,agree,certify"

    @Option(name: .long, help: "Validity in days.")
    var validityDays: Int = 365

    @Option(name: .output, help: ArgumentHelp("Where to write the chain.", valueName: "file"))
    var out: String

    @Flag(name: .force, help: "Replace --output if it exists.")
    var force = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let issuer = try issuer.load()
        let issued = try issuer.certify(
            try parsePath(path), epoch: epoch, usage: try KeyUsage(parsing: usage), validity: try validity(days: validityDays))
        try SecureFile.write(issued.chain.armored, to: out, mode: .public, overwrite: force)
        let summary = CertificateSummary(issued.chain.leaf)
        // The text leaves the age recipients to 'cert show --recipients'.
        let text = CertificateSummary(issued.chain.leaf, includingRecipients: false).text
        try output.emit(summary, human: "wrote chain \(out) (\(counted(issued.chain.certificates.count, "certificate")))\n\(text)")
    }
}

struct CertVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify a chain up to a trusted root: signatures, validity, usages, revocations.",
        discussion: """
            Trusted roots are the --anchor certificates (your own cluster's root.cert) if given, else the \
            clusters in the trust store (imported with 'arbor trust import'). --cluster and --path-prefix pin \
            which cluster and which part of its tree the chain must come from. Exit status 3 when the chain \
            does not verify.
            """
    )

    @Argument(help: "The chain file to verify.")
    var chain: String

    @OptionGroup var trust: TrustOptions

    @Option(name: .long, help: ArgumentHelp("Verify at this time instead of now, e.g. 2027-01-01T00:00:00Z.", valueName: "time"))
    var at: String?

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let target = try readChain(chain)
        let time = try at.map(Timestamp.parse) ?? now()
        let verified = try trust.verifier().verify(target, at: time)
        let result = ChainVerificationSummary(verified)
        try output.emit(
            result,
            human:
                "valid: \(verified.leaf.path) epoch \(verified.leaf.epoch) chains to cluster '\(verified.cluster)' (root \(verified.anchor.keyID.shortHex))"
        )
    }
}

struct CertShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print the certificates of a chain, root first. Does not verify; use 'cert verify'."
    )

    @Argument(help: "The chain file.")
    var chain: String

    @Flag(name: .long, help: "Also print each node's age recipients (post-quantum and X25519; about 2 kB each).")
    var recipients = false

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let summaries = try readChain(chain).certificates.map { CertificateSummary($0, includingRecipients: recipients) }
        try output.emit(summaries, human: summaries.map(\.text).joined(separator: "\n"))
    }
}
