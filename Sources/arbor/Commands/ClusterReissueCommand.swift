import ArborCluster
import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

/// `arbor cluster reissue`: after `arbor root rekey`, every member is issued again under the new root.
struct ClusterReissueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reissue",
        abstract: "After a root rekey: publish the transition and issue every member again under the new root.",
        discussion: """
            Run after 'arbor root rekey'. With the old root (--root, its passphrase) and the new one (--new-root, \
            --new-passphrase-file), it writes the root transition to the cluster, where trusted clusters find it \
            ('arbor trust follow --etcd'), and for every member a rekey instruction signed by the old root: the \
            member's path issued under the new root, its new key sealed to its current one. Each member installs \
            it, restarts its services and joins the new root's cluster, with no new enrollment (docs/cluster.md §18).
              arbor cluster reissue --root root.key --new-root root2.key --transition root2.transition --etcd URL
            """
    )

    @Option(name: .long, help: ArgumentHelp("The new encrypted root key file (from 'arbor root rekey').", valueName: "file"))
    var newRoot: String

    @Option(name: .long, help: ArgumentHelp("The new root certificate (default: the new root key path with .cert).", valueName: "file"))
    var newAnchor: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Read the new root key's passphrase from the first line of this file ('-': standard input).", valueName: "file"))
    var newPassphraseFile: String?

    @Option(name: .long, help: ArgumentHelp("The root transition (from 'arbor root rekey').", valueName: "file"))
    var transition: String

    @Option(name: .long, help: ArgumentHelp("The cluster's etcd endpoints (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String

    @Option(name: .long, help: "Validity of the members' new certificates, in days.")
    var validityDays: Int = 365

    @Option(
        name: .revocations,
        help: ArgumentHelp(
            "The cluster's revocation list as you keep it ('arbor cluster revoke --revocations'): a member whose revocation was deleted from etcd is still left behind.",
            valueName: "file"))
    var revocations: String?

    @OptionGroup(title: "The old root") var issuer: IssuerOptions
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        struct Skipped: Encodable {
            let path: String
            let reason: String
        }
        let oldRootKeyID: String
        let newRootKeyID: String
        let transition: String
        let members: [String]
        /// Members left in the old tree, and why: revoked, expired, a key a rekey moved away from.
        let skipped: [Skipped]
    }

    func run() async throws {
        guard issuer.root != nil else { throw ArborError(.invalidArgument, "a reissue is signed by the old root: pass --root ROOT.key") }
        let file = transition
        let handOver = try readingFile(file) { try RootTransition(armored: try SecureFile.read(file)) }
        let oldRoot = try issuer.load()
        let newRootKey = try openRoot(newRoot, passphrase: newPassphraseFile.map(PassphraseSource.file) ?? .terminal)
        let certificatePath = newAnchor ?? rootCertificatePath(for: newRoot)
        let certificate = try readingFile(certificatePath) {
            try CertificateChain(armored: try SecureFile.read(certificatePath)).loneRootCertificate("the new root certificate file")
        }
        let newRoot = try Issuer(root: newRootKey, rootCertificate: certificate)
        let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
        let time = now()
        let anchor = try TrustAnchor(name: "cluster", rootCertificate: oldRoot.chain.root)
        let (follower, _) = try await ClusterStateReader.read(
            from: client, root: anchor, revocations: try readRevocations(revocations.map { [$0] } ?? []), at: time)
        let reissue = try ClusterRekeys.reissue(
            by: oldRoot, under: newRoot, transition: handOver, validity: try validity(days: validityDays), after: follower.ledger,
            at: time)
        for write in [reissue.transition] + reissue.instructions.map { $0.write } {
            guard try await ClusterStateReader.write(write, to: client, readAt: follower.revision) else {
                throw ArborError(.conflict, "\(write.key) changed while the reissue was being made; run the command again")
            }
        }
        let summary = Summary(
            oldRootKeyID: oldRoot.keys.keyID.hex, newRootKeyID: newRoot.keys.keyID.hex, transition: reissue.transition.key,
            members: reissue.instructions.map { $0.path.description },
            skipped: reissue.skipped.map { Summary.Skipped(path: $0.path.description, reason: $0.reason) })
        let members = summary.members.isEmpty ? "no member" : summary.members.joined(separator: ", ")
        try output.emit(
            summary,
            human: """
                published the transition to root \(newRoot.keys.keyID.shortHex): \(reissue.transition.key)
                issued again under the new root: \(members)
                """ + summary.skipped.map { "left behind: \($0.path) (\($0.reason))" }.map { "\n" + $0 }.joined())
    }
}
