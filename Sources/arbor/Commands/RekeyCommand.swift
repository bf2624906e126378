import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct RekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Move a node to new keys: by itself (next epoch) or by order of an ancestor (new branch).",
        discussion: """
            Self-rekey (default): the node derives its next epoch from its own secret and certifies the new \
            keys with its current ones; the key file and the chain are replaced.
              arbor rekey --key node-7.key --chain node-7.chain
            Parent-ordered: an ancestor (--root, or --key and --chain) moves the node to the next branch \
            (eu/node-7 -> eu/node-7#1), certifies it and, when --revocations is given, revokes the old branch: \
            with the default reason key-compromise every epoch of eu/node-7 stops verifying (the old key file \
            holds the branch secret, so a thief of it has them all); --reason superseded revokes the old key \
            alone, for a move without a compromise.
              arbor rekey --parent-ordered eu/node-7 --root root.key -o node-7.key --chain-out node-7.chain
            """
    )

    @Option(name: .long, help: ArgumentHelp("Parent-ordered: the current path of the node to move.", valueName: "path"))
    var parentOrdered: String?

    @Option(name: .output, help: ArgumentHelp("Parent-ordered: where to write the new node key.", valueName: "file"))
    var out: String?

    @Option(name: .long, help: ArgumentHelp("Parent-ordered: where to write the new chain.", valueName: "file"))
    var chainOut: String?

    @Flag(name: .force, help: "Parent-ordered: replace --output and --chain-out if they exist.")
    var force = false

    @Option(
        name: .revocations,
        help: ArgumentHelp("Parent-ordered: a revocation list that receives the old branch's revocation.", valueName: "file"))
    var revocations: String?

    @Option(name: .long, help: "Parent-ordered: why the old branch is revoked: key-compromise (every epoch) or superseded (the old key).")
    var reason: String = Revocation.Reason.keyCompromise.description

    @Option(name: .long, help: ArgumentHelp("Parent-ordered: the chain of the old key, to revoke it.", valueName: "file"))
    var oldChain: String?

    @Option(name: .long, help: "Validity of the new certificate, in days.")
    var validityDays: Int = 365

    @Option(name: .long, help: "Parent-ordered: usages of the new key.")
    var usage: String = "sign,agree,certify"

    /// Self-rekey: --key and --chain are the node's own (replaced); parent-ordered: the issuer's.
    @OptionGroup(title: "The node (self-rekey) or the issuer (parent-ordered)") var issuer: IssuerOptions
    @OptionGroup(title: "Parent-ordered: the new key file") var encryption: KeyEncryptionOptions
    @OptionGroup var output: OutputOptions

    /// Checked in `run` rather than `validate`, so a mistake is one line with exit status 2.
    private func checkOptions() throws {
        if parentOrdered == nil {
            guard issuer.key != nil, issuer.chain != nil, issuer.root == nil else {
                throw ArborError(
                    .invalidArgument,
                    "self-rekey needs --key NODE.key --chain NODE.chain; a parent-ordered rekey needs --parent-ordered PATH")
            }
            // A self-rekey keeps the file's protection; silently ignoring a request to change it would mislead.
            guard !encryption.encrypt, encryption.newPassphraseFile == nil else {
                throw ArborError(
                    .invalidArgument,
                    "--encrypt and --new-passphrase-file choose the protection of a new key file (derive, rekey --parent-ordered); a self-rekey keeps the file's"
                )
            }
        } else {
            guard out != nil, chainOut != nil else {
                throw ArborError(.invalidArgument, "--parent-ordered needs -o NEW.key and --chain-out NEW.chain")
            }
            guard (revocations == nil) == (oldChain == nil) else {
                throw ArborError(.invalidArgument, "--revocations and --old-chain go together")
            }
            _ = try Revocation.Reason(parsing: reason)
        }
    }

    func run() async throws {
        try checkOptions()
        if let parentOrdered { try await runParentOrdered(parentOrdered) } else { try runSelf() }
    }

    private func runSelf() throws {
        let (node, chain) = (issuer.key!, issuer.chain!)
        // An encrypted key file stays encrypted under its passphrase (--passphrase-file or the terminal).
        let (secret, protection) = try openNodeKey(node, passphrase: issuer.passphrase.source)
        let next = try SelfRekey.advance(secret, chain: try readChain(chain), validity: try validity(days: validityDays))
        // The chain first: a crash between the two writes leaves the old key with a chain that
        // already names the new epoch, which 'rekey' reports instead of silently forking.
        try SecureFile.write(next.chain.armored, to: chain, mode: .public, overwrite: true)
        try writeNodeKey(next.secret, to: node, protection: protection, overwrite: true)
        try report(mode: "self", chain: next.chain, keyFile: node, chainFile: chain, revoked: nil)
    }

    private func runParentOrdered(_ current: String) async throws {
        // Both outputs are checked before anything is written: the revocation must not be
        // appended by a run that then fails on an existing file.
        for file in [out!, chainOut!] where !force && FileManagerProbe.exists(file) {
            throw ArborError(
                .fileExists, "'\(file)' already exists; arbor will not overwrite it: move it away, choose another path or pass --force")
        }
        let issuer = try self.issuer.load()
        let protection = try encryption.protection(for: "node key \(out!)")
        let moved = try ParentOrderedRekey.move(
            try parsePath(current), by: issuer, usage: try KeyUsage(parsing: usage), validity: try validity(days: validityDays),
            revoking: try oldChain.map { try readChain($0).leaf }, reason: try Revocation.Reason(parsing: reason), time: now())
        if let revocations, let revocation = moved.revocation {
            _ = try readingFile(revocations) { try RevocationListFile(path: revocations).add(revocation) }
        }
        try writeNodeKey(moved.secret, to: out!, protection: protection, overwrite: force)
        try SecureFile.write(moved.chain.armored, to: chainOut!, mode: .public, overwrite: force)
        try report(mode: "parent-ordered", chain: moved.chain, keyFile: out!, chainFile: chainOut!, revoked: moved.revocation)
    }

    private func report(mode: String, chain: CertificateChain, keyFile: String, chainFile: String, revoked: Revocation?) throws {
        let leaf = chain.leaf
        let result = RekeySummary(mode: mode, chain: chain, keyFile: keyFile, chainFile: chainFile, revoked: revoked)
        var text = "\(mode) rekey: \(leaf.path) epoch \(leaf.epoch), new key \(leaf.keyID.shortHex)\nwrote \(keyFile) and \(chainFile)"
        if let revoked {
            text +=
                revoked.coversBranch
                ? "\nrevoked every epoch of \(revoked.revokedPath) (\(revoked.reason))"
                : "\nrevoked the old key \(revoked.revokedKeyID.shortHex) of \(revoked.revokedPath) (\(revoked.reason))"
        }
        try output.emit(result, human: text)
    }
}
