import ArborCore
import ArborOperations

/// One read of a cluster's state from etcd, verified: what an operator's command (`arbor
/// cluster members`, `arbor cluster grant`) sees, without a node or a store.
public enum ClusterStateReader {
    /// Reads every key under the cluster's prefix and applies it, in revision order, to a fresh
    /// reader trusting `root` alone. Refused records are in the outcome, never in the ledger.
    /// - Parameter time: Unix seconds; the caller reads the clock.
    public static func read(
        from etcd: EtcdClient, root: TrustAnchor, revocations: RevocationList = RevocationList(), at time: Int64
    ) async throws -> (follower: ClusterFollower, outcome: ClusterApplyOutcome) {
        var follower = try ClusterFollower(root: root, revocations: revocations, kept: nil)
        let read = try await etcd.range(prefix: follower.prefix)
        let changes = read.keyValues.map { ClusterChange(kind: .put, key: $0.key, value: $0.value, revision: $0.modRevision) }
        let outcome = follower.applyRead(changes, revision: read.revision, at: time)
        return (follower, outcome)
    }

    /// Writes a record made by `ClusterWrites` (or `KeyringGrants`) only if the key still holds
    /// what the writer read, so two writers of one key cannot both win.
    /// - Returns: whether it was written.
    public static func write(_ write: ClusterWrite, to etcd: EtcdClient, readAt revision: Int64) async throws -> Bool {
        let result = try await etcd.transaction(
            compare: [.modRevision(of: write.key, .less, revision + 1)], success: [.put(key: write.key, value: write.value)])
        return result.succeeded
    }
}
