import ArborCore

/// A record ready for etcd: the key to write and the signed bytes.
public struct ClusterWrite: Sendable, Equatable {
    public let key: String
    public let value: [UInt8]
}

/// The records a node writes to the cluster state (docs/cluster.md), each signed by the key the
/// tree authorises for it, at the sequence after the one the writer's own ledger holds for the key.
///
/// Every write is first applied to a copy of the writer's ledger: a node never writes what its
/// readers would refuse (a sibling's record, a lowered epoch), and finds out here, with the reason,
/// rather than from every other node's log. Writing it with an etcd transaction (so two writers
/// of one key cannot both win) belongs to the cluster module.
public enum ClusterWrites {
    /// An ancestor enrols a node, or re-publishes it after a parent-ordered rekey.
    public static func enroll(
        _ member: ClusterMember, by issuer: Issuer, after ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite {
        try write(.member(member.path, cluster: ledger.cluster), member.encoded, keys: issuer.keys, chain: issuer.chain, ledger, time)
    }

    /// A node publishes its own addresses with its current key (after a self-rekey, its new chain).
    public static func announce(
        addresses: [String], secret: NodeSecret, chain: CertificateChain, after ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite {
        let member = try ClusterMember(addresses: addresses, chain: chain)
        return try write(
            .member(secret.path, cluster: ledger.cluster), member.encoded, keys: try secret.keySet(), chain: chain, ledger, time)
    }

    /// An ancestor removes a member for good (not a lapsed lease: a signed removal).
    public static func remove(_ path: TreePath, by issuer: Issuer, after ledger: ClusterLedger, at time: Int64) throws -> ClusterWrite {
        try write(.member(path, cluster: ledger.cluster), [], keys: issuer.keys, chain: issuer.chain, ledger, time)
    }

    /// An ancestor publishes a revocation; every reader refuses the revoked key from then on.
    public static func revoke(
        _ revocation: Revocation, by issuer: Issuer, after ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite {
        try write(
            .revocation(revocation, cluster: ledger.cluster), revocation.encoded, keys: issuer.keys, chain: issuer.chain, ledger, time)
    }

    /// The keyring's owner (or an ancestor) publishes its epochs after a rotation or a retirement.
    public static func publish(
        _ keyring: MeshKeyring, secret: NodeSecret, chain: CertificateChain, after ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite {
        let key = try ClusterRecordKey.keyring(owner: keyring.owner, name: keyring.name, cluster: ledger.cluster)
        return try write(key, try KeyringMetadata(keyring).encoded, keys: try secret.keySet(), chain: chain, ledger, time)
    }

    /// The root publishes another cluster's trust bundle, imported after its safety number was checked.
    public static func trust(_ bundle: TrustBundle, by root: Issuer, after ledger: ClusterLedger, at time: Int64) throws -> ClusterWrite {
        let key = try ClusterRecordKey.trust(clusterName: bundle.clusterName, cluster: ledger.cluster)
        return try write(key, bundle.encoded, keys: root.keys, chain: root.chain, ledger, time)
    }

    /// A node writes the branch assignment agreed for a member set (any node of the cluster may).
    public static func assign(
        _ assignment: BranchAssignment, secret: NodeSecret, chain: CertificateChain, after ledger: ClusterLedger, at time: Int64
    ) throws -> ClusterWrite {
        try write(.assignments(cluster: ledger.cluster), assignment.encoded, keys: try secret.keySet(), chain: chain, ledger, time)
    }

    /// A node reserves a range of a shared LMS key's leaves for itself.
    public static func reserve(
        _ range: LeafRange, lmsPublicKey: [UInt8], secret: NodeSecret, chain: CertificateChain, after ledger: ClusterLedger,
        at time: Int64
    ) throws -> ClusterWrite {
        let key = ClusterRecordKey.leaves(lmsPublicKey: lmsPublicKey, cluster: ledger.cluster)
        return try write(key, range.encoded, keys: try secret.keySet(), chain: chain, ledger, time)
    }

    static func write(
        _ key: ClusterRecordKey, _ value: [UInt8], keys: NodeKeySet, chain: CertificateChain, _ ledger: ClusterLedger, _ time: Int64
    ) throws -> ClusterWrite {
        let held = ledger.sequences[key] ?? 0
        guard held < UInt64.max else { throw ArborError(.limitExceeded, "\(key.text) has used every sequence number") }
        let record = try ClusterRecord(key: key, sequence: held + 1, value: value, signer: keys, chain: chain)
        var trial = ledger
        try trial.apply(record.encoded, storedAt: key.text, at: time)
        return ClusterWrite(key: key.text, value: record.encoded)
    }
}
