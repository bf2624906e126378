import ArborCore
import ArborKeyStore
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
            Every entry must hash to its recorded hash and follow the entry before it; every head must be signed
            by the node whose certificate chain --chain gives (verified against --anchor or the trust store).
            An edited, deleted, inserted or reordered entry fails (exit 3), and so does a rewrite of the entries
            before a signed head. Truncation is caught against a head kept outside the log: pass the node's last
            published head (a head line) with --head. Entries after the last signed head are protected by the
            chain alone; the output says how many.
            Example: arbor audit verify data/audit.log --chain node.chain --anchor root.cert --head last-head.json
            """
    )

    @Argument(help: "The audit log (JSON Lines).")
    var log: String

    @Option(name: .long, help: ArgumentHelp("The certificate chain of the node that wrote the log.", valueName: "file"))
    var chain: String

    @Option(name: .long, help: ArgumentHelp("A head line kept outside the log: the log must reach it.", valueName: "file"))
    var head: String?

    @OptionGroup var trust: TrustOptions
    @OptionGroup var output: OutputOptions

    struct Result: Encodable {
        let valid: Bool
        let node: String
        let cluster: String
        let entries: Int
        let heads: Int
        let lastSequence: UInt64
        let lastSignedSequence: UInt64
        let unsignedEntries: Int
    }

    func run() async throws {
        let verified = try trust.verifier().verify(try readChain(chain), at: now())
        let expectedHead: AuditHead? = try head.map { path in
            guard case .head(let head) = try AuditRecord(line: try SecureFile.read(path).trimmingCharacters(in: .whitespacesAndNewlines))
            else { throw ArborError(.invalidArgument, "'\(path)' holds an audit entry, not a head") }
            return head
        }
        var progress = try AuditChainVerifier(signer: verified.leaf.publicKeys).start(expectedHead: expectedHead)
        let (_, torn) = try AuditLogLines.forEach(in: log) { try progress.add(line: $0) }
        guard torn == 0 else {
            // Refused, not skipped: the verifier cannot tell a crash mid-write from a cut by hand.
            throw ArborError(
                .corruptFile,
                "the audit log's last line has no newline: it was cut short while being written or truncated; if the node crashed, starting it again drops that line (never synced, so never acknowledged)"
            )
        }
        let report = try progress.finish()
        let result = Result(
            valid: true, node: verified.leaf.path.description, cluster: verified.cluster, entries: report.entries, heads: report.heads,
            lastSequence: report.lastSequence, lastSignedSequence: report.lastSignedSequence, unsignedEntries: report.unsignedEntries)
        var text = "valid: \(report.entries) entries, \(report.heads) signed heads by \(result.node) of cluster '\(result.cluster)'"
        if report.unsignedEntries > 0 {
            text +=
                "\n\(report.unsignedEntries) entries after the last signed head (entry \(report.lastSignedSequence)) rest on the hash chain alone"
        }
        try output.emit(result, human: text)
    }
}
