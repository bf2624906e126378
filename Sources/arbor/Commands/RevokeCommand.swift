import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct RevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a descendant's key (revoke [add]), or show a revocation list's entries (revoke list).",
        subcommands: [RevokeAddCommand.self, RevokeListCommand.self],
        defaultSubcommand: RevokeAddCommand.self
    )
}

struct RevokeAddCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Revoke a descendant's key, adding a signed entry to a revocation list (the default of 'arbor revoke').",
        discussion: """
            Any ancestor may revoke: the root, or a node key with its chain. Chains through the revoked key, \
            and everything below it, stop verifying wherever the list is honoured. A key-compromise revocation \
            covers the node's whole branch: every epoch at that exact path (eu/node-7, not eu/node-7#1), \
            because a stolen key file holds the branch secret from which every epoch follows. Revoking what the \
            list already revokes (by the same revoker) adds nothing. 'arbor revoke list FILE' shows the entries.
            Example: arbor revoke node-7.chain --root root.key --reason key-compromise --revocations cluster.crl
            """
    )

    @Argument(help: ArgumentHelp("The chain whose last key is revoked.", valueName: "chain"))
    var target: String?

    @Option(name: .long, help: ArgumentHelp("The key identifier to revoke (64 hex digits), with --path.", valueName: "hex"))
    var keyID: String?

    @Option(name: .long, help: "The path of the key given by --key-id.")
    var path: String?

    @Option(name: .long, help: "Why: unspecified, key-compromise, superseded, cessation-of-operation.")
    var reason: String = "unspecified"

    @Option(name: .revocations, help: ArgumentHelp("The revocation list to add to; created if missing.", valueName: "file"))
    var revocations: String

    @OptionGroup var issuer: IssuerOptions
    @OptionGroup var output: OutputOptions

    /// Checked in `run` rather than `validate`, so a mistake is one line with exit status 2.
    private func checkOptions() throws {
        guard (target == nil) != (keyID == nil), (keyID == nil) == (path == nil) else {
            throw ArborError(.invalidArgument, "name the key with either a CHAIN file or --key-id HEX --path PATH")
        }
    }

    func run() async throws {
        try checkOptions()
        let (targetKey, targetPath): (KeyID, TreePath) =
            if let target {
                try readChain(target).leaf.keyIDAndPath
            } else {
                (try KeyID(hex: keyID!), try parsePath(path!))
            }
        let reason = try Revocation.Reason(parsing: reason)
        let store = RevocationListFile(path: revocations)
        // The list is read first: a corrupt one is reported before the issuer's passphrase is asked for.
        _ = try readingFile(revocations) { try store.load() }
        let revocation = try issuer.load().revoke(targetKey, at: targetPath, reason: reason, time: now())
        let result = RevocationSummary(revocation, addition: try store.add(revocation))
        let what = result.coversBranch ? "every epoch of \(targetPath)" : "\(targetPath) key \(targetKey.shortHex)"
        let entries = "\(revocations) holds \(counted(result.listEntries, "entry", "entries"))"
        try output.emit(
            result,
            human: result.added
                ? "revoked \(what) (\(reason)); \(entries)"
                : "already revoked: \(what) (\(result.reason), \(result.time) by \(result.revokerPath)); nothing added, \(entries)")
    }
}

struct RevokeListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Show the entries of a revocation list; each entry's signature is checked as the list is read."
    )

    @Argument(help: ArgumentHelp("The revocation list.", valueName: "file"))
    var revocations: String

    @OptionGroup var output: OutputOptions

    func run() async throws {
        let entries = try RevocationList(armored: try SecureFile.read(revocations)).revocations.map(RevocationEntrySummary.init)
        let lines = entries.map {
            "\($0.revokedPath)  \($0.coversBranch ? "every epoch" : "key \($0.revokedKeyID.prefix(16))")  \($0.reason)  \($0.time)"
                + "  by \($0.revokerPath) (key \($0.revokerKeyID.prefix(16)))"
        }
        let count = "\(entries.count) \(entries.count == 1 ? "entry" : "entries") in \(revocations)"
        try output.emit(entries, human: ([count] + lines).joined(separator: "\n"))
    }
}

extension KeyCertificate {
    var keyIDAndPath: (KeyID, TreePath) { (keyID, path) }
}
