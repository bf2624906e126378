/// Where the holders of one shared HSS signing key reserve ranges of its leaves, so that no two of
/// them ever use the same leaf: in a cluster, a counter in etcd moved by compare-and-swap
/// (`EtcdLeafRanges` in ArborCluster, docs/cluster.md, "Leaf ranges through etcd").
public protocol LeafRangeSource {
    /// Reserves up to `count` leaves of the LMS key with public key `lmsPublicKey` (RFC 8554 bytes),
    /// none below `atLeast` (the holder's own state: leaves it used before) nor at or above
    /// `leafCount`; the range is this holder's alone once this returns.
    func reserve(count: UInt32, atLeast: UInt32, lmsPublicKey: [UInt8], leafCount: UInt32) async throws -> Range<UInt32>
}
