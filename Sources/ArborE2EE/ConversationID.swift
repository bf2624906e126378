import ArborCore
import Crypto

/// A conversation's identifier (docs/e2ee.md §11): the first 16 bytes of
/// `SHA-256("arbor/v1/e2ee/conversation" 0x00 ‖ creator ‖ nonce)`, so the id itself says who made
/// the conversation and nobody else can claim it.
public struct ConversationID: Hashable, Sendable, CustomStringConvertible {
    public static let size = 16
    public static let nonceSize = 16
    static let domain = "arbor/v1/e2ee/conversation"

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw ArborError(.invalidArgument, "a conversation id is \(Self.size) bytes") }
        self.bytes = bytes
    }

    public init(hex: String) throws {
        guard let bytes = try? Hex.decode(hex), bytes.count == Self.size else {
            throw ArborError(.invalidArgument, "a conversation id is \(Self.size * 2) hex digits")
        }
        self.bytes = bytes
    }

    /// The id of the conversation `creator` made with `nonce`.
    public init(creator: AccountID, nonce: [UInt8]) throws {
        guard nonce.count == Self.nonceSize else { throw ArborError(.invalidArgument, "a conversation nonce is \(Self.nonceSize) bytes") }
        bytes = Array(SHA256.hash(data: Array(Self.domain.utf8) + [0] + creator.bytes + nonce).prefix(Self.size))
    }

    /// Whether this id is the one `creator` made with `nonce` (`conflict` when not: the server
    /// paired the conversation with someone else's nonce or creator).
    public func check(creator: AccountID, nonce: [UInt8]) throws {
        guard (try? ConversationID(creator: creator, nonce: nonce)) == self else {
            throw ArborError(
                .conflict, "conversation \(hex) was not made by account \(creator.hex): the server paired it with another creator")
        }
    }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}

/// A message's identifier: 16 random bytes its sender picks (docs/e2ee.md §13).
public struct MessageID: Hashable, Sendable, CustomStringConvertible {
    public static let size = 16
    public static let none = MessageID(validated: [UInt8](repeating: 0, count: size))

    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == Self.size else { throw ArborError(.invalidArgument, "a message id is \(Self.size) bytes") }
        self.bytes = bytes
    }

    public init(hex: String) throws {
        guard let bytes = try? Hex.decode(hex), bytes.count == Self.size else {
            throw ArborError(.invalidArgument, "a message id is \(Self.size * 2) hex digits")
        }
        self.bytes = bytes
    }

    public static func random() -> MessageID { MessageID(validated: randomBytes(size)) }

    private init(validated bytes: [UInt8]) { self.bytes = bytes }

    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
}
