import Synchronization

/// Leaves handed out by ``LMSLeafState/reserve(count:)`` and not used yet.
///
/// Each signature consumes the lowest one. A reservation is a reference: copies share the same
/// leaves, so no copy can hand out a leaf twice. It is never persisted, since leaves left in it
/// after a crash must stay burned. Signing is only possible through a reservation.
public final class LMSLeafReservation: Sendable {
    /// The key identifier I of the key these leaves belong to.
    public let identifier: [UInt8]
    private let remaining: Mutex<Range<UInt32>>

    init(identifier: [UInt8], leaves: Range<UInt32>) {
        self.identifier = identifier
        remaining = Mutex(leaves)
    }

    /// Leaves not yet used.
    public var leaves: Range<UInt32> { remaining.withLock { $0 } }

    /// Takes the next leaf out of the reservation.
    func takeLeaf(for key: LMSPrivateKey) throws -> UInt32 {
        guard identifier == key.identifier else {
            throw CustodyError(.leafNotReserved, "the reservation was made for another LMS key")
        }
        return try remaining.withLock { leaves in
            guard let leaf = leaves.first else {
                throw CustodyError(.leafNotReserved, "every leaf of the reservation has been used: reserve more")
            }
            leaves = leaves.dropFirst()
            return leaf
        }
    }
}
