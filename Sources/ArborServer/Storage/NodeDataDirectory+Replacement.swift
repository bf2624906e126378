import ArborCore
import ArborKeyStore
import Foundation

/// Moving a node to a new key (a new branch, its next epoch, or its path under a new root) in its
/// data directory, so that a crash at any moment ends in exactly one state: the old key, before
/// the new key file is staged; the new key, once it is.
///
/// `stageReplacement` writes the new chain, then the new key, as `node.chain.next` and
/// `node.key.next`: the staged key is the mark that the replacement has begun. Completing it
/// (`completeReplacement`, or `open` after a crash) runs these steps, each one safe to run again:
/// 1. the database is re-sealed and bound to the new key, in one transaction;
/// 2. the audit log signed by the old key is set aside as `audit-<old key>.log` with the old
///    chain, since its heads verify only under that key (docs/audit.md);
/// 3. the old key file is overwritten with zeros;
/// 4. `node.chain.next` is renamed over `node.chain`;
/// 5. `node.key.next` is renamed over `node.key`: the old key is gone, the replacement done.
/// Staging, completing and the completion in `open` hold an exclusive lock on `node.key.lock`, so
/// two processes never complete one replacement at once.
extension NodeDataDirectory {
    public static let stagedKeyFile = "node.key.next"
    public static let stagedChainFile = "node.chain.next"
    static let replacementLockFile = "node.key.lock"

    /// Whether a new key is staged and not yet in place.
    public var hasStagedReplacement: Bool { FileManager.default.fileExists(atPath: path + "/" + Self.stagedKeyFile) }

    /// Writes the node's next key (0600) and its chain, which must end at that key, beside the
    /// current ones. Staging the key already staged again does nothing; another key is refused
    /// while one is staged (complete that one first: open the directory).
    public func stageReplacement(secret: NodeSecret, chain: CertificateChain) throws {
        let next = try secret.keySet()
        try Self.checkChain(chain, matches: next, secret: secret)
        guard next.keyID != keys.keyID else {
            throw ArborError(
                .invalidArgument, "the new key is the node's current key (\(secret.path) epoch \(secret.epoch)); pass a new key")
        }
        let files = Files(path)
        try HSSStateFile.withExclusiveLock(files.lock) {
            if FileManager.default.fileExists(atPath: files.stagedKey) {
                let staged = try NodeKeyFile.decode(try SecureFile.readSecret(files.stagedKey)).keySet()
                guard staged.keyID == next.keyID else {
                    throw ArborError(
                        .conflict,
                        "another new key (\(staged.path) epoch \(staged.epoch)) is staged in \(path) already; complete that replacement (open the directory) before staging another"
                    )
                }
                return
            }
            // The chain first: the staged key marks the replacement as begun, so it comes last.
            try SecureFile.write(chain.armored, to: files.stagedChain, mode: .public, overwrite: true)
            try SecureFile.write(secret: NodeKeyFile.encode(secret), to: files.stagedKey)
        }
    }

    /// Completes the staged replacement and returns the directory under its new key. Once the new
    /// key is in place (completed here, or by another process's `open`), returns the directory as
    /// it is; with nothing staged and the old key still in place, `file not found`.
    public func completeReplacement() throws -> NodeDataDirectory {
        if let replaced = try Self.completeStagedReplacement(at: path) { return replaced }
        let current = try Self.open(path)
        guard current.keys.keyID != keys.keyID else {
            throw ArborError(.fileNotFound, "no new node key is staged in \(path); stage one first")
        }
        return current
    }

    /// The audit log signed by the former node key `keyID`, set aside when the key was replaced.
    public func archivedAuditLogPath(of keyID: KeyID) -> String { path + "/audit-\(keyID.shortHex).log" }
    /// The chain of the former node key `keyID`, under which its set-aside audit log verifies.
    public func archivedAuditChainPath(of keyID: KeyID) -> String { path + "/audit-\(keyID.shortHex).chain" }

    /// Runs the steps of a staged replacement (see above); nil when none is staged.
    static func completeStagedReplacement(at path: String) throws -> NodeDataDirectory? {
        let files = Files(path)
        let manager = FileManager.default
        guard manager.fileExists(atPath: files.stagedKey) || manager.fileExists(atPath: files.stagedChain) else { return nil }
        return try HSSStateFile.withExclusiveLock(files.lock) { () throws -> NodeDataDirectory? in
            guard manager.fileExists(atPath: files.stagedKey) else {
                // A staging cut short before its key was written: the replacement never began.
                try? manager.removeItem(atPath: files.stagedChain)
                guard !manager.fileExists(atPath: files.stagedChain) else {
                    throw ArborError(.ioFailure, "cannot remove '\(files.stagedChain)'; check the data directory's permissions")
                }
                return nil
            }
            let secret = try NodeKeyFile.decode(try SecureFile.readSecret(files.stagedKey))
            let keys = try secret.keySet()
            let stagedChain = manager.fileExists(atPath: files.stagedChain)
            // Without a staged chain, step 4 is done: node.chain is the new chain.
            let chain = try CertificateChain(armored: try SecureFile.read(stagedChain ? files.stagedChain : files.chain))
            try checkChain(chain, matches: keys, secret: secret)
            let directory = NodeDataDirectory(path: path, secret: secret, chain: chain, keys: keys)

            // 1. The old key is read only while the database is still bound to it (before step 3).
            if manager.fileExists(atPath: directory.databasePath),
                try NodeDatabase.boundKeyID(path: directory.databasePath) != keys.keyID.description
            {
                let old = try NodeKeyFile.decode(try SecureFile.readSecret(files.key)).keySet()
                _ = try NodeDatabase.reseal(path: directory.databasePath, from: old, to: keys)
            }
            // 2. node.chain is still the old chain here: step 4 comes after, and by then no audit.log is left.
            if manager.fileExists(atPath: directory.auditLogPath) {
                let oldChain = try CertificateChain(armored: try SecureFile.read(files.chain))
                let oldKeyID = oldChain.leaf.keyID
                try SecureFile.write(oldChain.armored, to: directory.archivedAuditChainPath(of: oldKeyID), mode: .public, overwrite: true)
                try SecureFile.move(directory.auditLogPath, over: directory.archivedAuditLogPath(of: oldKeyID))
            }
            // 3.
            try SecureFile.overwriteWithZeros(files.key)
            // 4, 5.
            if stagedChain { try SecureFile.move(files.stagedChain, over: files.chain) }
            try SecureFile.move(files.stagedKey, over: files.key)
            return directory
        }
    }

    /// The paths of a replacement in the directory `path`.
    struct Files {
        let key: String
        let chain: String
        let stagedKey: String
        let stagedChain: String
        let lock: String

        init(_ path: String) {
            key = path + "/" + NodeDataDirectory.keyFile
            chain = path + "/" + NodeDataDirectory.chainFile
            stagedKey = path + "/" + NodeDataDirectory.stagedKeyFile
            stagedChain = path + "/" + NodeDataDirectory.stagedChainFile
            lock = path + "/" + NodeDataDirectory.replacementLockFile
        }
    }
}
