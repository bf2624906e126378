import ArborCluster
import ArborCore
import ArborOperations
import ArborServer
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A peer node wired as `arbor serve --etcd --peer-address` wires it: its cluster membership (over
/// a SQLite database in a temporary directory) and the feed that hands the revocations it applies
/// to the node's peer channels, run in one `ServiceGroup`.
final class PeerMember: Sendable {
    let membership: ClusterMembership
    private let group: ServiceGroup
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    private let directory: URL

    init(_ node: PeerTestNode, tls: PeerTLS, etcd: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-peer-member-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path, node: node.keys)
        let logger = Logger(label: "arbor.peer-test") { JSONLogHandler(label: $0, level: .critical) { _ in } }
        membership = try ClusterMembership(
            etcd: try EtcdClient(endpoints: [etcd], requestTimeout: .seconds(3)), secret: node.secret, chain: node.chain,
            addresses: ["127.0.0.1:1"], store: DatabaseClusterStateStore(database: database), logger: logger)
        let feed = PeerRevocationFeed(membership: membership, trust: node.trust, tls: tls)
        group = ServiceGroup(configuration: .init(services: [membership, feed], logger: logger))
    }

    /// Starts the services and waits until the membership has read the cluster's state.
    func start() async throws {
        let group = group
        task.withLock { $0 = Task { try await group.run() } }
        try await eventually("the membership is synced") { membership.currentView.state == .synced }
    }

    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.withLock { $0 }?.value
        try? FileManager.default.removeItem(at: directory)
    }
}
