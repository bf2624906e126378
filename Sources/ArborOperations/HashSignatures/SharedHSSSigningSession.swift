import ArborCore
import ArborCustody

/// Signs with an HSS key that other nodes hold too: leaves come from ranges reserved through a
/// ``LeafRangeSource`` (the cluster's counter), `range` at a time.
///
/// Each range is made durable in the local leaf state before its first leaf is used, and only its
/// leaves are used; a range's leaves left unused when the session ends (or the process dies) are
/// burned, never reserved again by anyone. A new range is reserved when one is used up.
public struct SharedHSSSigningSession<Store: LeafStateStore, Source: LeafRangeSource> {
    public let key: HSSSigningKey<Store>
    public let source: Source
    /// Leaves reserved per range.
    public let range: Int
    private let signer: HSSSigner
    private var reservation: LMSLeafReservation?
    private var cachedSubtree: UInt32
    /// The local state after the last reservation (nil before the first signature).
    public private(set) var state: LMSLeafState?

    /// - Parameter range: leaves per reservation, 1 to 1024.
    public init(key: HSSSigningKey<Store>, source: Source, range: Int) throws {
        guard (1...1024).contains(range) else { throw ArborError(.invalidArgument, "--reserve takes 1 to 1024") }
        self.key = key
        self.source = source
        self.range = range
        signer = try custody(key.store.keyName) { try key.load().signer() }
        cachedSubtree = signer.key.treeCacheRevision
    }

    public mutating func sign(_ message: [UInt8]) async throws -> HSSSignature {
        var attempts = 0
        while reservation?.leaves.isEmpty ?? true {
            let local = try key.readState(for: signer.key)
            guard local.remainingLeaves > 0 else {
                throw ArborError(
                    .invalidArgument, "the key '\(key.store.keyName)' is exhausted: all \(local.leafCount) of its one-time leaves are used")
            }
            let reserved = try await source.reserve(
                count: UInt32(range), atLeast: local.nextLeaf, lmsPublicKey: signer.key.publicKey.bytes, leafCount: local.leafCount)
            do {
                (reservation, state) = try key.reserve(range, within: reserved, for: signer.key)
            } catch let error as ArborError where error.code == .conflict && attempts < 8 {
                // Another process on this node moved the state past the range meanwhile (it held
                // a later range): the range is burned, and a new one reserved above that state.
                attempts += 1
            }
        }
        let reserved = reservation!
        let signature = try custody { try signer.sign(message, using: reserved) }
        if signer.key.treeCacheRevision != cachedSubtree {
            key.saveTreeCache(of: signer.key)
            cachedSubtree = signer.key.treeCacheRevision
        }
        return signature
    }
}
