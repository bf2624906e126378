import ArborCore

/// The record a node writes to publish its one-time prekeys: kind 7 `prekeys/<path>`, signed with
/// its own current key, at the sequence after the one of the record it replaces.
public enum PrekeyPublication {
    /// - Parameters:
    ///   - previous: the record stored at the key now, if any. Its sequence is taken even when it
    ///     no longer verifies (signed by the node's key before a rekey), so readers that applied it
    ///     accept the new one.
    ///   - time: Unix seconds; the caller reads the clock.
    public static func write(
        _ prekeys: PrekeyBundle, secret: NodeSecret, chain: CertificateChain, replacing previous: [UInt8]?, root: TrustAnchor,
        revocations: RevocationList, at time: Int64
    ) throws -> ClusterWrite {
        let key = ClusterRecordKey.prekeys(secret.path, cluster: root.keyID)
        let held = previous.flatMap { try? ClusterRecord(encoded: $0) }?.sequence ?? 0
        guard held < UInt64.max else { throw ArborError(.limitExceeded, "\(key.text) has used every sequence number") }
        let record = try ClusterRecord(key: key, sequence: held + 1, value: prekeys.encoded, signer: try secret.keySet(), chain: chain)
        // What readers would refuse fails here, with their reason.
        var trial = ClusterLedger(root: root, revocations: revocations)
        try trial.apply(record.encoded, storedAt: key.text, at: time)
        return ClusterWrite(key: key.text, value: record.encoded)
    }
}
