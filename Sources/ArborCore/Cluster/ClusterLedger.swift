/// What a reader of the cluster state has applied, and the rules for applying more: a pure state
/// machine fed with what etcd returns (a range, then a watch), one record or deletion at a time.
///
/// A record is applied only when it verifies (`ClusterRecord.verify`, with the revocations held
/// here) and its sequence number is above the last one applied for its key (`replayed`
/// otherwise), so an old signed value written back by someone with etcd access is refused. A
/// keyring's epochs never go down and a revocation is never lifted (`rollback`), whoever signs.
/// The caller persists the ledger so that a restart does not reopen the window.
public struct ClusterLedger: Sendable {
    public let root: TrustAnchor
    /// The highest sequence applied per key.
    public private(set) var sequences: [ClusterRecordKey: UInt64] = [:]
    /// Members whose record is present; a deleted key (a lapsed lease) removes one here.
    public private(set) var members: [TreePath: ClusterMember] = [:]
    public private(set) var revocations: RevocationList
    public private(set) var keyrings: [ClusterRecordKey: KeyringMetadata] = [:]
    public private(set) var trustBundles: [String: TrustBundle] = [:]
    public private(set) var assignments: [UInt8]?

    /// - Parameter revocations: revocations the reader holds already (its own list, trust bundles).
    public init(root: TrustAnchor, revocations: RevocationList = RevocationList()) {
        self.root = root
        self.revocations = revocations
    }

    public var cluster: KeyID { root.keyID }

    /// Verifies and applies a record read from `storedAt`. Nothing changes when it throws.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    @discardableResult
    public mutating func apply(_ bytes: [UInt8], storedAt: String, at time: Int64) throws -> VerifiedClusterRecord {
        let record = try ClusterRecord(encoded: bytes)
        guard record.key.cluster == cluster else {
            throw ArborError(.wrongCluster, "the record at \(storedAt) belongs to cluster \(record.key.cluster.shortHex), not to this one")
        }
        let verified = try record.verify(storedAt: storedAt, root: root, revocations: revocations, at: time)
        if let held = sequences[record.key], record.sequence <= held {
            throw ArborError(
                .replayed,
                "the record at \(storedAt) has sequence \(record.sequence), but \(held) was applied already: an old value written back")
        }
        switch verified.content {
        case .member(let member): members[member.path] = member
        case .memberRemoved:
            if case .member(let path) = record.key.subject { members[path] = nil }
        case .revocation(let revocation): revocations.merge([revocation])
        case .keyring(let metadata):
            if let held = keyrings[record.key] {
                guard held.cipher == metadata.cipher else {
                    throw ArborError(.conflict, "keyring \(storedAt) seals with \(held.cipher); a record cannot change its cipher")
                }
                guard !held.isLowered(by: metadata) else {
                    throw ArborError(
                        .rollback,
                        "keyring \(storedAt) is at epoch \(held.activeEpoch), minimum \(held.minimumEpoch); a record cannot lower them to \(metadata.activeEpoch), \(metadata.minimumEpoch)"
                    )
                }
            }
            keyrings[record.key] = metadata
        case .trust(let bundle):
            if let held = trustBundles[bundle.clusterName], held.anchor.keyID == bundle.anchor.keyID {
                // The same cluster's bundle again: its revocations only add up (docs/keys.md §17).
                trustBundles[bundle.clusterName] = try TrustBundle(
                    clusterName: bundle.clusterName, chain: bundle.chain, revocations: held.revocations.merging(bundle.revocations))
            } else {
                trustBundles[bundle.clusterName] = bundle
            }
        case .assignments(let value): assignments = value
        }
        sequences[record.key] = record.sequence
        return verified
    }

    /// Applies the deletion of a key, which carries no signature: a member's key goes when its
    /// lease lapses (the member is no longer live, and its sequence is kept so an older record
    /// cannot bring it back); every other key is kept, and its deletion is refused (`rollback`):
    /// deleting the key cannot lift a revocation, reset a keyring or drop a trust bundle.
    public mutating func applyDeletion(of storedAt: String) throws {
        guard let key = sequences.keys.first(where: { $0.text == storedAt }) else { return }
        guard case .member(let path) = key.subject else {
            throw ArborError(
                .rollback, "\(storedAt) was deleted from the cluster state; a deletion cannot undo a signed \(key.kind) record")
        }
        members[path] = nil
    }
}
