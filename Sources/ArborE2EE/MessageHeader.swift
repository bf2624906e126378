import ArborCore

public enum MessageKind: UInt8, Sendable {
    /// A message written at once.
    case text = 1
    /// The start of a token stream (docs/e2ee.md §14): its plaintext is the stream key.
    case stream = 2
    /// A message moved from a legacy plaintext store (docs/e2ee.md §15): its plaintext is an
    /// `ImportedMessage`, signed by the account that imported it.
    case imported = 3
}

/// The clear part of a message (docs/e2ee.md §13), 90 bytes: `0x01 ‖ kind ‖ conversation (16) ‖
/// epoch (4) ‖ message id (16) ‖ sender (16) ‖ sequence (8) ‖ previous (16) ‖ nonce (12)`. All of
/// it is associated data of the AEAD and covered by the sender's signature.
public struct MessageHeader: Sendable, Equatable {
    static let version: UInt8 = 1
    public static let size = 90
    public static let nonceSize = 12

    public let kind: MessageKind
    public let conversation: ConversationID
    public let epoch: UInt32
    public let id: MessageID
    public let sender: AccountID
    /// The sender's messages in this conversation count 1, 2, 3 …
    public let sequence: UInt64
    /// The last message the sender had read when writing, or `MessageID.none`.
    public let previous: MessageID
    public let nonce: [UInt8]

    public init(
        kind: MessageKind, conversation: ConversationID, epoch: UInt32, id: MessageID = .random(), sender: AccountID,
        sequence: UInt64, previous: MessageID, nonce: [UInt8]? = nil
    ) throws {
        let nonce = nonce ?? randomBytes(Self.nonceSize)
        guard sequence > 0 else { throw ArborError(.invalidArgument, "message sequences start at 1") }
        guard nonce.count == Self.nonceSize else { throw ArborError(.invalidArgument, "a message nonce is \(Self.nonceSize) bytes") }
        self.kind = kind
        self.conversation = conversation
        self.epoch = epoch
        self.id = id
        self.sender = sender
        self.sequence = sequence
        self.previous = previous
        self.nonce = nonce
    }

    init(parsing bytes: ArraySlice<UInt8>) throws {
        let base = bytes.startIndex
        guard bytes.count >= Self.size, bytes[base] == Self.version, let kind = MessageKind(rawValue: bytes[base + 1]) else {
            throw ArborError(.malformedInput, "not an Arbor message (version 1, kind text or stream)")
        }
        let field = { (offset: Int, count: Int) in Array(bytes[(base + offset)..<(base + offset + count)]) }
        try self.init(
            kind: kind, conversation: ConversationID(bytes: field(2, 16)), epoch: UInt32.readBigEndian(bytes, at: 18),
            id: MessageID(bytes: field(22, 16)), sender: AccountID(bytes: field(38, 16)), sequence: UInt64.readBigEndian(bytes, at: 54),
            previous: MessageID(bytes: field(62, 16)), nonce: field(78, 12))
    }

    public var encoded: [UInt8] {
        [Self.version, kind.rawValue] + conversation.bytes + epoch.bigEndianBytes + id.bytes + sender.bytes + sequence.bigEndianBytes
            + previous.bytes + nonce
    }
}
