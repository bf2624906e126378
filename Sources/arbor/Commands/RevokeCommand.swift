import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a descendant's key, adding a signed entry to a revocation list.",
        discussion: """
            Any ancestor may revoke: the root, or a node key with its chain. Chains through the revoked key, \
            and everything below it, stop verifying wherever the list is honoured. A key-compromise revocation \
            covers the node's whole branch: every epoch at that exact path (eu/node-7, not eu/node-7#1), \
            because a stolen key file holds the branch secret from which every epoch follows.
            Example: arbor revoke --chain node-7.chain --root root.key --reason key-compromise --list cluster.crl
            """
    )

    @Option(name: .long, help: ArgumentHelp("The chain whose last key is revoked.", valueName: "file"))
    var chain: String?

    @Option(name: .long, help: ArgumentHelp("The key identifier to revoke (64 hex digits), with --path.", valueName: "hex"))
    var keyID: String?

    @Option(name: .long, help: "The path of the key given by --key-id.")
    var path: String?

    @Option(name: .long, help: "Why: unspecified, key-compromise, superseded, cessation-of-operation.")
    var reason: String = "unspecified"

    @Option(name: .long, help: ArgumentHelp("The revocation list to add to; created if missing.", valueName: "file"))
    var list: String

    @OptionGroup var issuer: IssuerOptions
    @OptionGroup var output: OutputOptions

    /// Checked in `run` rather than `validate`, so a mistake is one line with exit status 2.
    private func checkOptions() throws {
        guard (chain == nil) != (keyID == nil), (keyID == nil) == (path == nil) else {
            throw ArborError(.invalidArgument, "name the key with either --chain FILE or --key-id HEX --path PATH")
        }
    }

    func run() async throws {
        try checkOptions()
        let (targetKey, targetPath): (KeyID, TreePath) =
            if let chain {
                try readChain(chain).leaf.keyIDAndPath
            } else {
                (try KeyID(hex: keyID!), try parsePath(path!))
            }
        let reason = try Revocation.Reason(parsing: reason)
        let store = RevocationListFile(path: list)
        // The list is read first: a corrupt one is reported before the issuer's passphrase is asked for.
        _ = try readingFile(list) { try store.load() }
        let revocation = try issuer.load().revoke(targetKey, at: targetPath, reason: reason, time: now())
        let result = RevocationSummary(revocation, list: try store.add(revocation))
        try output.emit(
            result,
            human: """
                revoked \(revocation.coversBranch ? "every epoch of \(targetPath)" : "\(targetPath) key \(targetKey.shortHex)") (\(reason)); \
                \(list) now holds \(counted(result.listEntries, "entry", "entries"))
                """)
    }
}

extension KeyCertificate {
    var keyIDAndPath: (KeyID, TreePath) { (keyID, path) }
}
