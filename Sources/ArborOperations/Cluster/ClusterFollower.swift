import ArborCore

/// One key read from etcd under the cluster prefix: a value written, or the key deleted.
public struct ClusterChange: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case put
        case delete
    }

    public let kind: Kind
    public let key: String
    /// The value written; empty for a deletion.
    public let value: [UInt8]
    /// The etcd revision of the change.
    public let revision: Int64

    public init(kind: Kind, key: String, value: [UInt8], revision: Int64) {
        self.kind = kind
        self.key = key
        self.value = value
        self.revision = revision
    }
}

/// What applying a batch of changes did: each refused change with its reason (logged and counted
/// by the caller; a refused record changes nothing).
public struct ClusterApplyOutcome: Sendable {
    public internal(set) var applied: [VerifiedClusterRecord] = []
    /// Member keys deleted (a lapsed lease): the member is no longer live.
    public internal(set) var departed: [String] = []
    public internal(set) var refused: [(key: String, error: ArborError)] = []

    public init() {}
}

/// A node following the cluster state in etcd, as a pure state machine: the `ClusterLedger` it
/// applied and the etcd revision it has seen. The caller reads etcd (a range, then a watch from
/// the revision after it), feeds what it read here, and persists `state` after each batch.
public struct ClusterFollower: Sendable {
    public private(set) var ledger: ClusterLedger
    /// The etcd revision of the last change seen (applied or refused).
    public private(set) var revision: Int64

    /// Restores what the node kept (`ClusterStateStore`), or starts empty.
    public init(root: TrustAnchor, revocations: RevocationList = RevocationList(), kept: ClusterState?) throws {
        if let kept {
            ledger = try ClusterLedger(root: root, revocations: revocations, snapshot: kept.ledgerSnapshot)
            revision = kept.revision
        } else {
            ledger = ClusterLedger(root: root, revocations: revocations)
            revision = 0
        }
    }

    public var cluster: KeyID { ledger.cluster }
    public var prefix: String { ClusterRecordKey.prefix(cluster: cluster) }

    public func state(lastContact: Int64?) -> ClusterState {
        ClusterState(ledgerSnapshot: ledger.snapshot, revision: revision, lastContact: lastContact)
    }

    /// A full read of the prefix at `revision` (at start, after a lost connection, after a
    /// compacted watch): the keys changed since the last revision seen are applied in revision
    /// order, and an applied member key the read no longer holds is taken as deleted (its
    /// deletion happened while the node was not watching).
    /// - Parameter time: Unix seconds; the caller reads the clock.
    public mutating func applyRead(_ keyValues: [ClusterChange], revision readRevision: Int64, at time: Int64) -> ClusterApplyOutcome {
        let seen = revision
        var outcome = apply(keyValues.filter { $0.revision > seen }.sorted { $0.revision < $1.revision }, at: time)
        let present = Set(keyValues.map(\.key))
        let missingMembers = ledger.applied.keys.filter { key in
            key.kind == .member && !ledger.departed.contains(key) && !present.contains(key.text)
        }
        for key in missingMembers.sorted(by: { $0.text < $1.text }) {
            try? ledger.applyDeletion(of: key.text)
            outcome.departed.append(key.text)
        }
        revision = max(revision, readRevision)
        return outcome
    }

    /// Changes from a watch, in the order etcd sent them.
    public mutating func apply(_ changes: [ClusterChange], at time: Int64) -> ClusterApplyOutcome {
        var outcome = ClusterApplyOutcome()
        for change in changes {
            revision = max(revision, change.revision)
            do {
                switch change.kind {
                case .put:
                    // The record applied already (the node's own write, read back): nothing to do.
                    if let record = try? ClusterRecord(encoded: change.value), ledger.applied[record.key] == record,
                        record.key.text == change.key
                    {
                        continue
                    }
                    outcome.applied.append(try ledger.apply(change.value, storedAt: change.key, at: time))
                case .delete:
                    let wasLive = ledger.applied.keys.contains { $0.text == change.key && $0.kind == .member }
                    try ledger.applyDeletion(of: change.key)
                    if wasLive { outcome.departed.append(change.key) }
                }
            } catch let error as ArborError {
                outcome.refused.append((change.key, error))
            } catch {
                outcome.refused.append((change.key, ArborError(.malformedInput, "the value at \(change.key) cannot be applied: \(error)")))
            }
        }
        return outcome
    }

    /// Applies a record this node wrote itself, so its next write follows its sequence.
    public mutating func applyOwn(_ write: ClusterWrite, at time: Int64) throws {
        try ledger.apply(write.value, storedAt: write.key, at: time)
    }
}
