import ArborCluster
import ArborCore
import ArborOperations
import ArgumentParser

/// `arbor cluster rekey PATH`: a parent-ordered rekey carried out by the node itself.
struct ClusterRekeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rekey",
        abstract: "Order a running member to move to its next branch: a signed rekey instruction in etcd.",
        discussion: """
            The issuer (--root, or --key and --chain of an ancestor holding certify) certifies the member's next \
            branch (eu/node-7 -> eu/node-7#1), seals the new key to the member's current X-Wing key and writes the \
            instruction with the old key's revocation, signed now. The member opens it, installs the new key, \
            restarts its services on it and announces itself under the new path; peers accept it as they verify any \
            chain. When --grace seconds have passed, the member publishes the revocation (docs/cluster.md §17).
              arbor cluster rekey eu/node-7 --key eu.key --chain eu.chain --etcd http://127.0.0.1:2379
            """
    )

    @Argument(help: ArgumentHelp("The member's current path.", valueName: "path"))
    var path: String

    @Option(name: .long, help: ArgumentHelp("The cluster's etcd endpoints (comma-separated URLs).", valueName: "url[,url…]"))
    var etcd: String

    @Option(name: .long, help: ArgumentHelp("Seconds during which peers still accept the old key (0 to 2592000).", valueName: "seconds"))
    var grace: Int64 = 300

    @Option(name: .long, help: "The old key's revocation: superseded (that key alone) or key-compromise (every epoch of the old branch).")
    var reason: String = Revocation.Reason.superseded.description

    @Option(name: .long, help: "Validity of the new certificate, in days.")
    var validityDays: Int = 365

    @Option(name: .long, help: "Usages of the new key (default: those of the member's current key).")
    var usage: String?

    @Option(
        name: .revocations,
        help: ArgumentHelp(
            "The cluster's revocation list as you keep it ('arbor cluster revoke --revocations'): a revocation deleted from etcd still counts.",
            valueName: "file"))
    var revocations: String?

    @Option(
        name: .long,
        help: ArgumentHelp(
            "The member's current chain, when it is offline (its member record went with its lease); it moves when it starts.",
            valueName: "file"))
    var oldChain: String?

    @OptionGroup var issuer: IssuerOptions
    @OptionGroup var output: OutputOptions

    struct Summary: Encodable {
        let path: String
        let newPath: String
        let newKeyID: String
        let revokeAfter: Int64
        let reason: String
        let record: String
    }

    func run() async throws {
        let target = try parsePath(path)
        let reason = try Revocation.Reason(parsing: reason)
        let usage = try usage.map { try KeyUsage(parsing: $0) }
        let client = try EtcdClient(endpoints: try clusterEndpoints(etcd))
        let issuer = try issuer.load()
        let time = now()
        let root = try TrustAnchor(name: "cluster", rootCertificate: issuer.chain.root)
        let (follower, _) = try await ClusterStateReader.read(
            from: client, root: root, revocations: try readRevocations(revocations.map { [$0] } ?? []), at: time)
        let order = try ClusterRekeys.order(
            target, by: issuer, usage: usage, validity: try validity(days: validityDays), grace: grace, reason: reason,
            current: try oldChain.map(readChain), after: follower.ledger, at: time)
        guard try await ClusterStateReader.write(order.write, to: client, readAt: follower.revision) else {
            throw ArborError(.conflict, "\(order.write.key) changed while the instruction was being made; run the command again")
        }
        let summary = Summary(
            path: target.description, newPath: order.newPath.description, newKeyID: order.newKeyID.hex, revokeAfter: time + grace,
            reason: reason.description, record: order.write.key)
        try output.emit(
            summary,
            human: """
                ordered \(target) to move to \(order.newPath) (key \(order.newKeyID.shortHex)): \(order.write.key)
                the old key is revoked (\(reason)) once the member has moved and \(grace) s have passed
                """)
    }
}
