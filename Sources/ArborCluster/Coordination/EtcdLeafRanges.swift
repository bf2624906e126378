import ArborCore
import ArborOperations
import Foundation

/// Leaf ranges of shared HSS keys reserved through etcd (docs/cluster.md, "Leaf ranges through
/// etcd"): the signed `leaves` record of a key holds the next free leaf; a node reserves
/// `[next, next + k)` by writing the record that moves it, with a compare-and-swap on the mod
/// revision it read, so of two nodes that read the same counter one wins and the other reads again.
///
/// Every record read is verified through the ledger, which refuses an older record written back
/// (`replayed`) or a lower counter (`rollback`). The record this node saw last is also bound to
/// the etcd revision it was read or written at: the same bytes found at another revision were
/// written back by someone (`rollback`), which catches an old record of this node's own. The state
/// (``savedState``) is handed to `persist` after every change and before a range is returned, so a
/// write made between two runs is caught too.
public actor EtcdLeafRanges: LeafRangeSource {
    public let etcd: EtcdClient
    private let secret: NodeSecret
    private let chain: CertificateChain
    private let clock: @Sendable () -> Int64
    private let persist: @Sendable ([UInt8]) throws -> Void
    /// What this node has applied.
    public private(set) var ledger: ClusterLedger
    /// Per key text: the etcd mod revision of the record applied last.
    private var revisions: [String: Int64] = [:]

    /// What a node keeps between runs: its ledger's snapshot and the revision of each record in it.
    struct SavedState: Codable {
        var ledger: Data
        var revisions: [String: Int64]
    }

    /// - Parameters:
    ///   - savedState: what `persist` was given last (nil: a node that has seen nothing yet).
    ///   - root: the cluster's root certificate, the ledger's anchor.
    public init(
        etcd: EtcdClient, secret: NodeSecret, chain: CertificateChain, root: TrustAnchor, savedState: [UInt8]? = nil,
        clock: @escaping @Sendable () -> Int64, persist: @escaping @Sendable ([UInt8]) throws -> Void = { _ in }
    ) throws {
        self.etcd = etcd
        self.secret = secret
        self.chain = chain
        self.clock = clock
        self.persist = persist
        if let savedState {
            let saved: SavedState
            do {
                saved = try JSONDecoder().decode(SavedState.self, from: Data(savedState))
            } catch {
                throw ArborError(.malformedInput, "the saved leaf-range state does not parse")
            }
            ledger = try ClusterLedger(root: root, snapshot: Array(saved.ledger))
            revisions = saved.revisions
        } else {
            ledger = ClusterLedger(root: root)
        }
    }

    /// The ledger's snapshot and the revisions, as `persist` receives them.
    public var savedState: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return Array((try? encoder.encode(SavedState(ledger: Data(ledger.snapshot), revisions: revisions))) ?? Data())
    }

    public func reserve(count: UInt32, atLeast: UInt32, lmsPublicKey: [UInt8], leafCount: UInt32) async throws -> Range<UInt32> {
        let key = ClusterRecordKey.leaves(lmsPublicKey: lmsPublicKey, cluster: ledger.cluster)
        while true {
            let stored = try await etcd.get(key.text)
            try check(stored, key: key)
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
            revisions[key.text] = result.revision
            try persist(savedState)
            return UInt32(first)..<UInt32(next)
        }
    }

    /// Applies what etcd holds for the key, unless it is the record applied last, at the revision
    /// it was seen at. Throws when etcd went back.
    private func check(_ stored: EtcdKeyValue?, key: ClusterRecordKey) throws {
        let applied = ledger.applied[key]?.encoded
        guard let stored else {
            guard applied == nil else {
                throw ArborError(
                    .rollback, "\(key.text) was deleted from etcd after this node reserved leaves through it; nothing is reserved")
            }
            return
        }
        if stored.value == applied {
            if let seen = revisions[key.text], seen != stored.modRevision {
                throw ArborError(
                    .rollback,
                    "\(key.text) holds the record this node saw at revision \(seen), written again at revision \(stored.modRevision): an old value written back; nothing is reserved"
                )
            }
            return
        }
        try ledger.apply(stored.value, storedAt: key.text, at: clock())
        revisions[key.text] = stored.modRevision
        try persist(savedState)
    }
}
