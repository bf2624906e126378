import ArborCore
import ArborCustody

/// Signs messages one after another with an HSS key, reserving leaves `batch` at a time: each
/// batch is durable before its first leaf is used, and leaves left unused when the session ends
/// are burned (never handed out again).
public struct HSSSigningSession<Store: LeafStateStore> {
    public let key: HSSSigningKey<Store>
    public let batch: Int
    private let signer: HSSSigner
    private var reservation: LMSLeafReservation?
    /// The bottom subtree the stored tree cache holds: when signing moves past it, the cache is rewritten.
    private var cachedSubtree: UInt32
    /// The state after the last reservation (nil before the first signature).
    public private(set) var state: LMSLeafState?

    /// - Parameter batch: leaves reserved per state write, 1 to 1024.
    public init(key: HSSSigningKey<Store>, batch: Int) throws {
        guard (1...1024).contains(batch) else { throw ArborError(.invalidArgument, "--reserve takes 1 to 1024") }
        self.key = key
        self.batch = batch
        signer = try custody(key.store.keyName) { try key.load().signer() }
        cachedSubtree = signer.key.treeCacheRevision
    }

    public mutating func sign(_ message: [UInt8]) throws -> HSSSignature {
        if reservation?.leaves.isEmpty ?? true {
            (reservation, state) = try key.reserve(batch, for: signer.key)
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
