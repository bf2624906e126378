import ArborCore
import ArborKeyStore
import ArborOperations
import Foundation

/// A node enrolled from its bundle: its data directory, ready for `arbor serve --data`, and the
/// root token made for it (shown once, to the operator of the new node only).
public struct EnrolledNode: Sendable {
    public let directory: NodeDataDirectory
    public let rootToken: TokenSecret
    public let summary: EnrollmentSummary
}

/// What the new node keeps of its cluster besides its key: read later by the cluster service.
/// `DIR/cluster.json`.
public struct NodeClusterSettings: Codable, Sendable, Equatable {
    public static let fileName = "cluster.json"

    /// The cluster id: the root's key id in hex (docs/cluster.md §2).
    public let cluster: String
    /// The parent that enrolled the node (its chain is `DIR/parent.chain`).
    public let parent: String
    /// etcd client URLs.
    public let etcd: [String]

    public static func read(from directory: String) throws -> NodeClusterSettings {
        try JSONDecoder().decode(Self.self, from: Data(try SecureFile.readBytes(directory + "/" + fileName)))
    }
}

extension EnrollmentDirectory {
    public static let parentChainFile = "parent.chain"
    /// Trust bundles of other clusters granted at enrollment, as `arbor trust` keeps them.
    public static let trustDirectory = "trust"

    /// Opens and checks the bundle, then installs it: the node key and chain (as `serve init`
    /// does), the granted keyrings sealed into the database, the trust bundles, the parent's
    /// chain and `cluster.json`; makes the root token; and deletes the one-time key, last, so a
    /// refused or failed install can be retried with a good bundle.
    public func install(bundle file: [UInt8], clock: NodeClock = .system) async throws -> EnrolledNode {
        let bundle = try open(bundle: file, at: clock.now())
        let directory = try NodeDataDirectory.install(into: path, secret: bundle.node, chain: bundle.nodeChain)
        let database = try NodeDatabase(path: directory.databasePath, node: directory.keys)
        let keyrings = SealedKeyringStore(database: database, clock: clock)
        for keyring in bundle.keyrings { try await keyrings.save(keyring) }
        let trust = TrustImport(store: TrustStoreDirectory(path: path + "/" + Self.trustDirectory))
        for trusted in bundle.trustBundles { _ = try trust.add(trusted) }
        try SecureFile.write(bundle.parentChain.armored, to: path + "/" + Self.parentChainFile, mode: .public, overwrite: true)
        let settings = NodeClusterSettings(
            cluster: bundle.nodeChain.root.keyID.hex, parent: bundle.parentChain.leaf.path.description, etcd: bundle.etcdEndpoints)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try SecureFile.write(
            bytes: Array(try encoder.encode(settings)) + [0x0a], to: path + "/" + NodeClusterSettings.fileName, mode: .public,
            overwrite: true)
        let rootToken = try await TokenService(database: database, clock: clock).createRoot()
        try discardOneTimeKey()
        return EnrolledNode(directory: directory, rootToken: rootToken, summary: EnrollmentSummary(bundle))
    }
}

extension NodeDataDirectory {
    /// Writes a node key and its chain into an existing data directory (an enrolling node's,
    /// which holds its one-time key); neither file may exist yet.
    static func install(into path: String, secret: NodeSecret, chain: CertificateChain) throws -> NodeDataDirectory {
        let keys = try secret.keySet()
        guard chain.leaf.keyID == keys.keyID else {
            throw ArborError(.invalidArgument, "the chain does not end with the node's key")
        }
        try SecureFile.write(secret: NodeKeyFile.encode(secret), to: path + "/" + keyFile)
        try SecureFile.write(chain.armored, to: path + "/" + chainFile, mode: .public)
        return NodeDataDirectory(path: path, secret: secret, chain: chain, keys: keys)
    }
}
