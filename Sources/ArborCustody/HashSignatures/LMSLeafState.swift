import ArborCore

/// The signing state of one LMS key: the next unused leaf index q.
///
/// LMS is stateful: signing two messages with the same leaf reveals enough of
/// the one-time key to forge signatures. The state is therefore an explicit
/// value that the caller persists. The rule is reserve, persist, then sign:
///
///     let (reservation, next) = try state.reserve(count: 1)
///     try store(next)                       // durable before any signature exists
///     let signature = try key.sign(message, using: reservation)
///
/// If the process dies after storing `next`, the reserved leaves are simply
/// never used ("burned"); that wastes leaves but can never reuse one.
public struct LMSLeafState: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The key identifier I of the key this state belongs to.
    public let identifier: [UInt8]
    /// Total number of leaves, 2^h.
    public let leafCount: UInt32
    /// The first leaf that has never been reserved.
    public let nextLeaf: UInt32

    /// The state of a key that has never signed.
    public init(for key: LMSPrivateKey) {
        self.init(identifier: key.identifier, leafCount: key.parameters.leafCount, nextLeaf: 0)
    }

    /// Rebuilds a persisted state. `nextLeaf` may equal `leafCount` (exhausted) but not exceed it.
    public init(identifier: [UInt8], leafCount: UInt32, nextLeaf: UInt32) {
        self.identifier = identifier
        self.leafCount = leafCount
        self.nextLeaf = min(nextLeaf, leafCount)
    }

    /// Leaves never reserved.
    public var remainingLeaves: UInt32 { nextLeaf < leafCount ? leafCount - nextLeaf : 0 }

    private enum CodingKeys: String, CodingKey {
        case identifier, leafCount, nextLeaf
    }

    /// Decodes a persisted state, refusing values no LMS key can have so a
    /// corrupted state file fails loudly instead of handing out wrong leaves.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let identifier = try container.decode([UInt8].self, forKey: .identifier)
        let leafCount = try container.decode(UInt32.self, forKey: .leafCount)
        let nextLeaf = try container.decode(UInt32.self, forKey: .nextLeaf)
        guard identifier.count == LMSParameters.identifierLength,
            LMSParameters.all.contains(where: { $0.leafCount == leafCount }),
            nextLeaf <= leafCount
        else {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: "not a valid LMS leaf state")
            )
        }
        self.init(identifier: identifier, leafCount: leafCount, nextLeaf: nextLeaf)
    }

    /// Hands out the next `count` leaves. Persist the returned state before signing with the reservation.
    public func reserve(count: Int = 1) throws -> (reservation: LMSLeafReservation, newState: LMSLeafState) {
        guard count >= 1 else {
            throw CustodyError.invalidParameters("a reservation holds at least one leaf")
        }
        guard UInt64(count) <= UInt64(remainingLeaves) else {
            throw CustodyError(
                .keyExhausted,
                "the LMS key has \(remainingLeaves) unused leaves of \(leafCount), \(count) were asked for: a new key is needed"
            )
        }
        let end = nextLeaf + UInt32(count)
        return (
            LMSLeafReservation(identifier: identifier, leaves: nextLeaf..<end),
            LMSLeafState(identifier: identifier, leafCount: leafCount, nextLeaf: end)
        )
    }

    public var description: String {
        "LMSLeafState(I: \(Hex.encode(identifier)), next leaf: \(nextLeaf) of \(leafCount))"
    }
}
