import ArborE2EE
import ArborOperations
import Hummingbird

struct CreateConversationBody: Codable, Sendable {
    let conversation: String
    let nonce: Base64URLBytes
    let envelopes: [Base64URLBytes]
}

struct ConversationCreatedBody: Codable, Sendable, ResponseEncodable {
    let conversation: String
}

struct ConversationListBody: Codable, Sendable, ResponseEncodable {
    let conversations: [String]
}

/// A conversation with every envelope, by epoch then arrival.
struct ConversationBody: Codable, Sendable, ResponseEncodable {
    let conversation: String
    let creator: String
    let nonce: Base64URLBytes
    let envelopes: [Base64URLBytes]

    init(_ conversation: StoredConversation, envelopes: [StoredEnvelope]) {
        self.conversation = conversation.id.hex
        creator = conversation.creator.hex
        nonce = Base64URLBytes(conversation.nonce)
        self.envelopes = envelopes.map { Base64URLBytes($0.bytes) }
    }
}

struct EnvelopesBody: Codable, Sendable {
    let envelopes: [Base64URLBytes]
}

struct MessageBody: Codable, Sendable {
    let message: Base64URLBytes
}

struct PositionBody: Codable, Sendable, ResponseEncodable {
    let position: Int64
}

struct MessagesBody: Codable, Sendable, ResponseEncodable {
    struct Item: Codable, Sendable {
        let position: Int64
        let message: Base64URLBytes
    }

    let messages: [Item]

    init(_ messages: [StoredMessage]) {
        self.messages = messages.map { Item(position: $0.position, message: Base64URLBytes($0.bytes)) }
    }
}

struct ChunkBody: Codable, Sendable {
    let chunk: Base64URLBytes
    let final: Bool
}

struct SealBody: Codable, Sendable {
    let seal: Base64URLBytes
}
