/// Leaves handed out by ``LMSLeafState/reserve(count:)`` and not used yet.
/// Each signature consumes the lowest one; a reservation is never persisted,
/// since leaves left in it after a crash must stay burned.
public struct LMSLeafReservation: Hashable, Sendable {
    /// The key identifier I of the key these leaves belong to.
    public let identifier: [UInt8]
    /// Leaves not yet used.
    public private(set) var leaves: Range<UInt32>

    init(identifier: [UInt8], leaves: Range<UInt32>) {
        self.identifier = identifier
        self.leaves = leaves
    }

    /// Takes the next leaf out of the reservation.
    mutating func takeLeaf(for key: LMSPrivateKey) throws -> UInt32 {
        guard identifier == key.identifier else {
            throw CustodyError(.leafNotReserved, "the reservation was made for another LMS key")
        }
        guard let leaf = leaves.first else {
            throw CustodyError(.leafNotReserved, "every leaf of the reservation has been used: reserve more")
        }
        leaves = leaves.dropFirst()
        return leaf
    }
}
