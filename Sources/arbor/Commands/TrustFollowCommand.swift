import ArborCluster
import ArborCore
import ArborKeyStore
import ArborOperations
import ArgumentParser

struct TrustFollowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "follow",
        abstract: "Follow a trusted cluster to its new root, after confirming the new safety number.",
        discussion: """
            A cluster that rekeys its root hands out a root transition ('arbor root rekey'), signed by its old and \
            its new root. The transition must start at a root the trust store trusts. As at the first import, \
            compare the NEW root's safety number with the other cluster's operator in person: whoever holds the \
            old root key could have signed a hand-over to a key of their own. The new root then takes the old \
            one's name and revocations, and the old root is no longer trusted.
              arbor trust follow partner.transition
            Or read the transition the other cluster published in its etcd ('arbor cluster reissue'), verified \
            against the root trusted now:
              arbor trust follow --etcd https://etcd.partner.example:2379 --cluster partner
            """
    )

    @Argument(help: "The root transition file (or --etcd and --cluster).")
    var transition: String?

    @Option(
        name: .long,
        help: ArgumentHelp("Read the transition from the trusted cluster's etcd (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String?

    @Option(name: .long, help: ArgumentHelp("With --etcd: the trusted cluster's name in the trust store.", valueName: "name"))
    var cluster: String?

    @Option(
        name: .long,
        help: ArgumentHelp("The new root's expected safety number (60 digits or 12 words), checked instead of asking.", valueName: "number")
    )
    var safetyNumber: String?

    @OptionGroup var store: TrustStoreOption
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let trust = TrustImport(store: store.directory)
        let transition = try await readTransition()
        let (held, next) = try trust.verify(transition)
        if let safetyNumber {
            try transition.checkNewSafetyNumber(typed: safetyNumber)
        } else {
            try confirmSafetyNumber(
                next.safetyNumber,
                about: "'\(held.clusterName)' hands over from root \(held.anchor.keyID.shortHex) to the new root \(next.keyID.shortHex)",
                action: "follow the transition")
        }
        let result = try trust.follow(transition)
        try output.emit(
            result,
            human:
                "cluster '\(result.cluster)' now trusted under its new root \(result.rootKeyID.prefix(16)) (the old root is no longer trusted) in \(result.store)"
        )
    }

    /// From the file, or from the cluster's etcd: the transition record, verified against the root
    /// the trust store holds for that cluster, like any cluster record.
    private func readTransition() async throws -> RootTransition {
        switch (transition, etcd, cluster) {
        case (let file?, nil, nil):
            return try readingFile(file) { try RootTransition(armored: try SecureFile.read(file)) }
        case (nil, let etcd?, let cluster?):
            guard let held = try store.directory.bundles().first(where: { $0.clusterName == cluster }) else {
                throw ArborError(
                    .fileNotFound, "no trusted cluster is named '\(cluster)' in \(store.directory.location); see 'arbor trust list'")
            }
            let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
            let (follower, _) = try await ClusterStateReader.read(from: client, root: held.anchor, at: now())
            guard let transition = follower.ledger.transition else {
                throw ArborError(.fileNotFound, "cluster '\(cluster)' has published no root transition in that etcd")
            }
            return transition
        default:
            throw ArborError(.invalidArgument, "give the transition file, or --etcd URL and --cluster NAME")
        }
    }
}
