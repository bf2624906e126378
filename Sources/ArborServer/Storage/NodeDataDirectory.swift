import ArborCore
import ArborKeyStore
import Foundation

/// A node's data directory: its key (0600), the certificate chain of that key, and the
/// database. `arbor serve init` makes it; `arbor serve --data` opens it.
public struct NodeDataDirectory: Sendable {
    public static let keyFile = "node.key"
    public static let chainFile = "node.chain"

    public let path: String
    public let secret: NodeSecret
    public let chain: CertificateChain
    public let keys: NodeKeySet

    public var databasePath: String { path + "/" + NodeDatabase.fileName }
    /// The hash-chained audit log (docs/audit.md).
    public var auditLogPath: String { path + "/audit.log" }

    /// Creates the directory (0700; it must not exist, or be empty) from a node key and its chain.
    public static func initialize(at path: String, secret: NodeSecret, chain: CertificateChain) throws -> NodeDataDirectory {
        let keys = try secret.keySet()
        try checkChain(chain, matches: keys, secret: secret)
        let manager = FileManager.default
        if manager.fileExists(atPath: path) {
            guard (try? manager.contentsOfDirectory(atPath: path))?.isEmpty == true else {
                throw ArborError(.fileExists, "\(path) exists and is not an empty directory; choose a new data directory")
            }
            guard chmod(path, 0o700) == 0 else { throw ArborError(.ioFailure, "cannot set the permissions of \(path)") }
        } else {
            do {
                try manager.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            } catch {
                throw ArborError(.ioFailure, "cannot create the data directory \(path)")
            }
        }
        try SecureFile.write(secret: NodeKeyFile.encode(secret), to: path + "/" + keyFile)
        try SecureFile.write(chain.armored, to: path + "/" + chainFile, mode: .public)
        return NodeDataDirectory(path: path, secret: secret, chain: chain, keys: keys)
    }

    /// Reads the key (refused if others may read it) and the chain, and checks they belong together.
    /// A key replacement that was staged but not completed (a crash part way) is completed first.
    public static func open(_ path: String) throws -> NodeDataDirectory {
        if let replaced = try completeStagedReplacement(at: path) { return replaced }
        let secret = try NodeKeyFile.decode(try SecureFile.readSecret(path + "/" + keyFile))
        let chain = try CertificateChain(armored: try SecureFile.read(path + "/" + chainFile))
        let keys = try secret.keySet()
        try checkChain(chain, matches: keys, secret: secret)
        return NodeDataDirectory(path: path, secret: secret, chain: chain, keys: keys)
    }

    static func checkChain(_ chain: CertificateChain, matches keys: NodeKeySet, secret: NodeSecret) throws {
        guard chain.leaf.keyID == keys.keyID else {
            throw ArborError(
                .invalidArgument,
                "the chain ends with the key of \(chain.leaf.path) epoch \(chain.leaf.epoch), not with this node's key (\(secret.path) epoch \(secret.epoch)); pass the chain of this key"
            )
        }
    }
}

extension NodeDataDirectory {
    /// The node path a development node gets.
    public static let developmentPath = "dev/node-1"

    /// For `arbor serve --dev`: a fresh root (kept in memory only, never written) certifies a
    /// node, whose key and chain fill a new data directory at `path`.
    public static func development(at path: String, now: Int64) throws -> NodeDataDirectory {
        let root = RootKey.generate()
        let validity = try KeyCertificate.Validity(notBefore: now - 300, notAfter: now + 30 * 86_400)
        let issuer = try Issuer(root: root, rootCertificate: try KeyCertificate.root(root.node.keySet(), validity: validity))
        let node = try issuer.certify(try TreePath(parsing: developmentPath), usage: .all, validity: validity)
        return try initialize(at: path, secret: node.secret, chain: node.chain)
    }
}
