import ArborCluster
import ArborCore
import ArborOperations
import ArborServer
import ArborTestSupport
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// A small key tree for the membership tests: a root, the branch `eu` (which owns keyrings and
/// certifies below it) and its nodes, with certificates valid around the real clock (the
/// membership service reads it).
struct ClusterTree {
    let root = RootKey.generate()
    let rootIssuer: Issuer
    let eu: Issuer

    init() throws {
        let now = Int64(Date().timeIntervalSince1970)
        let validity = try KeyCertificate.Validity(notBefore: now - 3600, notAfter: now + 86_400)
        rootIssuer = try Issuer(root: root, rootCertificate: try KeyCertificate.root(try root.node.keySet(), validity: validity))
        let branch = try rootIssuer.certify(try TreePath(parsing: "eu"), usage: .all, validity: validity)
        eu = try Issuer(secret: branch.secret, chain: branch.chain)
    }

    var anchor: TrustAnchor { get throws { try TrustAnchor(name: "test", rootCertificate: rootIssuer.chain.root) } }

    func node(_ path: String) throws -> (secret: NodeSecret, chain: CertificateChain) {
        let now = Int64(Date().timeIntervalSince1970)
        return try eu.certify(
            try TreePath(parsing: path), usage: .all, validity: try KeyCertificate.Validity(notBefore: now - 3600, notAfter: now + 86_400))
    }
}

/// One node of a test cluster: its SQLite database in a temporary directory and its membership
/// service, run in a `ServiceGroup` as `arbor serve` runs it.
final class ClusterTestNode: Sendable {
    let path: TreePath
    let secret: NodeSecret
    let database: NodeDatabase
    let keyrings: SealedKeyringStore
    let membership: ClusterMembership
    private let group: ServiceGroup
    private let task: Mutex<Task<Void, any Error>?> = Mutex(nil)
    let directory: URL

    init(_ path: String, tree: ClusterTree, etcd: String, directory existing: URL? = nil) throws {
        let (secret, chain) = try tree.node(path)
        self.path = secret.path
        self.secret = secret
        directory = existing ?? FileManager.default.temporaryDirectory.appendingPathComponent("arbor-member-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        database = try NodeDatabase(path: directory.appendingPathComponent("node.sqlite").path, node: try secret.keySet())
        keyrings = SealedKeyringStore(database: database)
        let logger = Logger(label: "arbor.cluster-test") { JSONLogHandler(label: $0, level: .critical) { _ in } }
        var configuration = ClusterMembership.Configuration()
        configuration.leaseSeconds = 4
        configuration.longestRetryDelay = .milliseconds(500)
        membership = try ClusterMembership(
            etcd: try EtcdClient(endpoints: [etcd], requestTimeout: .seconds(3)), secret: secret, chain: chain,
            addresses: ["127.0.0.1:\(8200 + path.count)"], store: DatabaseClusterStateStore(database: database), keyrings: keyrings,
            configuration: configuration, logger: logger)
        group = ServiceGroup(configuration: .init(services: [membership], logger: logger))
    }

    func start() {
        let group = group
        task.withLock { $0 = Task { try await group.run() } }
    }

    /// Graceful shutdown: the service revokes its lease.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await task.withLock { $0 }?.value
    }

    func removeFiles() { try? FileManager.default.removeItem(at: directory) }
}

/// Polls `condition` until it holds or a generous deadline passes (no timing is asserted).
func eventually(_ what: String, within seconds: Double = 30, _ condition: () async throws -> Bool) async throws {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw EtcdServerError("not reached within \(seconds) s: \(what)")
}
