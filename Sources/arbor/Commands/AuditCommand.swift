import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check a node's hash-chained audit log.",
        subcommands: [AuditVerifyCommand.self]
    )
}

struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Verify an audit log: its hash chain, the node's signed heads, and that it reaches a head you kept.",
        discussion: """
            Every entry must hash to its recorded hash and follow the entry before it; every head must be signed \
            by the node whose certificate chain --chain gives (verified against --anchor or the trust store). \
            An edited, deleted, inserted or reordered entry fails (exit 3), and so does a rewrite of the entries \
            before a signed head. Truncation is caught against a head kept outside the log: pass the node's last \
            published head (a head line) with --head. Entries after the last signed head are protected by the \
            chain alone; the output says how many.
            Example: arbor audit verify data/audit.log --chain node.chain --anchor root.cert --head last-head.json
            """
    )

    @Argument(help: "The audit log (JSON Lines).")
    var log: String

    @Option(name: .chain, help: ArgumentHelp("The certificate chain of the node that wrote the log.", valueName: "file"))
    var chain: String

    @Option(name: .long, help: ArgumentHelp("A head line kept outside the log: the log must reach it.", valueName: "file"))
    var head: String?

    @OptionGroup var trust: TrustOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let verified = try trust.verifier().verify(try readChain(chain), at: now())
        let expectedHead = try head.map { path in
            try readingFile(path) {
                try AuditLogVerification.expectedHead(
                    line: try SecureFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines), named: path)
            }
        }
        var progress = try AuditChainVerifier(signer: verified.leaf.publicKeys).start(expectedHead: expectedHead)
        let (_, torn) = try AuditLogLines.forEach(in: log) { try progress.add(line: $0) }
        let report = try AuditLogVerification.finish(progress, tornLines: torn)
        let result = AuditVerificationSummary(report, signer: verified)
        var text =
            "valid: \(counted(report.entries, "entry", "entries")), \(counted(report.heads, "signed head")) "
            + "by \(result.node) of cluster '\(result.cluster)'"
        if report.unsignedEntries > 0 {
            text +=
                "\n\(counted(report.unsignedEntries, "entry", "entries")) after the last signed head (entry \(report.lastSignedSequence)) "
                + "rest\(report.unsignedEntries == 1 ? "s" : "") on the hash chain alone"
        }
        try output.emit(result, human: text)
    }
}
