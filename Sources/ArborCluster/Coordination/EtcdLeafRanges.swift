import ArborCore
import ArborOperations

/// Leaf ranges of shared HSS keys reserved through etcd (docs/cluster.md, "Leaf ranges through etcd"): the signed `leaves`
/// record of a key holds the next free leaf; a node reserves `[next, next + k)` by writing the
/// record that moves it, with a compare-and-swap on the mod revision it read, so of two nodes that
/// read the same counter one wins and the other reads again.
///
/// Every record read is verified through the ledger, which refuses an older record written back
/// (`replayed`) or a lower counter (`rollback`): someone who can write to etcd cannot make this
/// node reserve leaves another node holds. The ledger is handed to `persist` (as its snapshot)
/// after every change and before a range is returned: kept across runs, it also catches such a
/// write made between two runs.
public actor EtcdLeafRanges: LeafRangeSource {
    public let etcd: EtcdClient
    private let secret: NodeSecret
    private let chain: CertificateChain
    private let clock: @Sendable () -> Int64
    private let persist: @Sendable ([UInt8]) throws -> Void
    /// What this node has applied.
    public private(set) var ledger: ClusterLedger

    public init(
        etcd: EtcdClient, secret: NodeSecret, chain: CertificateChain, ledger: ClusterLedger, clock: @escaping @Sendable () -> Int64,
        persist: @escaping @Sendable ([UInt8]) throws -> Void = { _ in }
    ) {
        self.persist = persist
        self.etcd = etcd
        self.secret = secret
        self.chain = chain
        self.ledger = ledger
        self.clock = clock
    }

    public func reserve(count: UInt32, atLeast: UInt32, lmsPublicKey: [UInt8], leafCount: UInt32) async throws -> Range<UInt32> {
        let key = ClusterRecordKey.leaves(lmsPublicKey: lmsPublicKey, cluster: ledger.cluster)
        while true {
            let stored = try await etcd.get(key.text)
            if let stored, stored.value != ledger.applied[key]?.encoded {
                try ledger.apply(stored.value, storedAt: key.text, at: clock())
                try persist(ledger.snapshot)
            } else if stored == nil, ledger.applied[key] != nil {
                throw ArborError(
                    .rollback, "\(key.text) was deleted from etcd after this node reserved leaves through it; nothing is reserved")
            }
            let first = max(UInt64(atLeast), ledger.leafRanges[key]?.next ?? 0)
            guard first < UInt64(leafCount), count > 0 else {
                throw ArborError(
                    .invalidArgument, "the shared key is exhausted: its \(leafCount) one-time leaves are all reserved (\(key.text))")
            }
            let next = min(first + UInt64(count), UInt64(leafCount))
            let range = try LeafRange(holder: secret.path, first: first, next: next)
            let write = try ClusterWrites.reserve(
                range, lmsPublicKey: lmsPublicKey, secret: secret, chain: chain, after: ledger, at: clock())
            let result = try await etcd.transaction(
                compare: [.modRevision(of: key.text, .equal, stored?.modRevision ?? 0)],
                success: [.put(key: write.key, value: write.value)])
            guard result.succeeded else { continue }  // another holder reserved first: read its range
            try ledger.apply(write.value, storedAt: key.text, at: clock())
            try persist(ledger.snapshot)
            return UInt32(first)..<UInt32(next)
        }
    }
}
