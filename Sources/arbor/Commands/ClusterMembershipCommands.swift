import ArborCluster
import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser
import Foundation

/// `arbor cluster`: an operator's view of a cluster's state in etcd, and grants of keyrings.
/// `arbor cluster members`: the members whose records verify against the anchor.
struct ClusterMembersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "members",
        abstract: "List the live members of a cluster whose records verify against its root.",
        discussion: """
            Reads every record under the cluster's prefix in etcd and verifies each against the root certificate \
            given by --anchor, as a node does: a record that does not verify is counted as refused and left out.
            """
    )

    @Option(name: .long, help: ArgumentHelp("The cluster's etcd endpoints (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String

    @Option(name: .anchor, help: ArgumentHelp("The cluster root's certificate.", valueName: "file"))
    var anchor: String

    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        struct Member: Encodable {
            let path: String
            let epoch: UInt32
            let keyID: String
            let addresses: [String]
        }
        let cluster: String
        let revision: Int64
        let members: [Member]
        /// Revocations the cluster state holds (their records verified).
        let revocations: Int
        let refused: Int
    }

    func run() async throws {
        let root = try TrustAnchor(name: "anchor \(SecureFile.fileName(of: anchor))", rootCertificate: try readChain(anchor).root)
        let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
        let (follower, outcome) = try await ClusterStateReader.read(from: client, root: root, at: Int64(Date().timeIntervalSince1970))
        var view = ClusterView()
        view.update(from: follower.ledger)
        let summary = Summary(
            cluster: follower.cluster.hex, revision: follower.revision,
            members: view.members.map {
                Summary.Member(path: $0.path.description, epoch: $0.chain.leaf.epoch, keyID: $0.keyID.hex, addresses: $0.addresses)
            },
            revocations: view.revocations.revocations.count, refused: outcome.refused.count)
        var lines = summary.members.map {
            "\($0.path)  epoch \($0.epoch)  key \(String($0.keyID.prefix(16)))  \($0.addresses.joined(separator: ", "))"
        }
        if lines.isEmpty { lines.append("No live members.") }
        if summary.refused > 0 { lines.append("\(summary.refused) record(s) refused: they do not verify against this root.") }
        try output.emit(summary, human: lines.joined(separator: "\n"))
    }
}

/// `arbor cluster grant`: seals a keyring's epoch seeds to a member's node key, as a signed record.
struct ClusterGrantCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grant",
        abstract: "Grant a keyring's epoch seeds to a member of the cluster, sealed to its node key.",
        discussion: """
            Reads the cluster state from etcd (the anchor is the root of --chain), seals the keyring as an age file \
            (mlkem768x25519) to the X-Wing key of the member named by --to, as its verified member record \
            publishes it, and writes it as a grant record signed with --key: the keyring's owner or an ancestor \
            of it. The holder's node merges it into its keyrings. See docs/cluster.md, "Grants".
            """
    )

    @Option(name: .long, help: ArgumentHelp("The keyring file to grant.", valueName: "file"))
    var keyring: String

    @Option(name: .nodeKey, help: ArgumentHelp("The signer's node key: the keyring's owner or an ancestor.", valueName: "file"))
    var nodeKey: String

    @Option(name: .chain, help: ArgumentHelp("The certificate chain of --key.", valueName: "file"))
    var chain: String

    @Option(name: .long, help: ArgumentHelp("The member that receives the keyring.", valueName: "path"))
    var to: String

    @Option(name: .long, help: ArgumentHelp("The cluster's etcd endpoints (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String

    @OptionGroup var keyPassphrase: KeyPassphraseOptions
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        let keyring: String
        let owner: String
        let holder: String
        let epochs: [UInt32]
        let key: String
    }

    func run() async throws {
        let holder = try parsePath(to)
        let secret = try readNodeKey(nodeKey, passphrase: keyPassphrase.source)
        let chain = try readChain(chain)
        let keyring = try KeyringDirectory(passphrase: keyPassphrase.source).load(keyring)
        let root = try TrustAnchor(name: "cluster", rootCertificate: chain.root)
        let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
        let time = Int64(Date().timeIntervalSince1970)
        let (follower, _) = try await ClusterStateReader.read(from: client, root: root, at: time)
        let write = try KeyringGrants.grant(
            keyring, to: holder, signer: try secret.keySet(), chain: chain, after: follower.ledger, at: time)
        guard try await ClusterStateReader.write(write, to: client, readAt: follower.revision) else {
            throw ArborError(.conflict, "\(write.key) changed while the grant was being made; run the command again")
        }
        let summary = Summary(
            keyring: keyring.name, owner: keyring.owner.description, holder: holder.description, epochs: keyring.heldEpochs,
            key: write.key)
        try output.emit(
            summary,
            human:
                "Granted keyring '\(keyring.name)' of \(keyring.owner) (epochs \(keyring.heldEpochs.map(String.init).joined(separator: ", "))) to \(holder)."
        )
    }
}

/// `--etcd` as the commands take it: URLs separated by commas.
func clusterEndpoints(_ text: String) throws -> [String] {
    let endpoints = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !endpoints.isEmpty else { throw ArborError(.invalidArgument, "--etcd takes etcd URLs separated by commas") }
    return endpoints
}

/// `arbor cluster revoke`: a revocation written to etcd as a signed record, which every node of the
/// cluster applies (and its peer channels refuse the key at the next handshake).
struct ClusterRevokeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revoke",
        abstract: "Revoke a node's key for the whole cluster: a signed revocation record in etcd.",
        discussion: """
            The issuer (--root, or --key and --chain of an ancestor of the revoked node holding certify) signs the \
            revocation and the record; every node applies it from its watch, and a revocation cannot be lifted by \
            deleting the key in etcd (docs/cluster.md §5). key-compromise covers every epoch of the node's branch.
            """
    )

    @Argument(help: ArgumentHelp("The chain whose last key is revoked.", valueName: "chain"))
    var target: String

    @Option(name: .long, help: "Why: unspecified, key-compromise, superseded, cessation-of-operation.")
    var reason: String = "unspecified"

    @Option(name: .long, help: ArgumentHelp("The cluster's etcd endpoints (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String

    @Option(
        name: .revocations,
        help: ArgumentHelp(
            "Also add the revocation to this list (created if missing): a copy kept away from etcd, for 'cluster rekey' and 'cluster reissue'.",
            valueName: "file"))
    var revocations: String?

    @OptionGroup var issuer: IssuerOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let (key, path) = try readChain(target).leaf.keyIDAndPath
        let list = revocations.map { RevocationListFile(path: $0) }
        // The list is read first: a corrupt one is reported before the issuer's passphrase is asked for.
        if let list, let file = revocations { _ = try readingFile(file) { try list.load() } }
        let reason = try Revocation.Reason(parsing: reason)
        let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
        let issuer = try issuer.load()
        let time = now()
        let root = try TrustAnchor(name: "cluster", rootCertificate: issuer.chain.root)
        let (follower, _) = try await ClusterStateReader.read(from: client, root: root, at: time)
        let revocation = try issuer.revoke(key, at: path, reason: reason, time: time)
        // A stolen key opens the orders sealed to it: the keys they hand out are revoked with it.
        let exposed =
            reason == .keyCompromise
            ? try ClusterRekeys.keysExposed(byCompromiseOf: key, in: follower.ledger).map {
                try issuer.revoke($0.keyID, at: $0.path, reason: .keyCompromise, time: time)
            } : []
        for next in [revocation] + exposed {
            let write = try ClusterWrites.revoke(next, by: issuer, after: follower.ledger, at: time)
            guard try await ClusterStateReader.write(write, to: client, readAt: follower.revision) else {
                throw ArborError(.conflict, "\(write.key) changed while the revocation was being made; run the command again")
            }
            _ = try list?.add(next)
        }
        let summary = RevocationEntrySummary(revocation)
        let what = summary.coversBranch ? "every epoch of \(path)" : "\(path) key \(key.shortHex)"
        var lines = [
            "revoked \(what) (\(reason)) for the cluster: \(ClusterRecordKey.revocation(revocation, cluster: follower.cluster).text)"
        ]
        lines += exposed.map {
            "also revoked \($0.revokedPath) key \($0.revokedKeyID.shortHex): a rekey order sealed to the compromised key hands it out"
        }
        try output.emit(summary, human: lines.joined(separator: "\n"))
    }
}
