import ArborCore

/// What `arbor cluster send` reports: never the payload.
public struct SentMessageSummary: Codable, Sendable, Equatable {
    public let recipient: String
    public let messageID: String
    /// The recipient's prekey the message is sealed to; 0 for its own key.
    public let prekeyID: UInt32
    public let forwardSecret: Bool

    public init(recipient: TreePath, messageID: [UInt8], prekeyID: UInt32) {
        self.recipient = recipient.description
        self.messageID = Hex.encode(messageID)
        self.prekeyID = prekeyID
        forwardSecret = prekeyID != 0
    }

    enum CodingKeys: String, CodingKey {
        case recipient, messageID = "message_id", prekeyID = "prekey_id", forwardSecret = "forward_secret"
    }

    public var text: String {
        forwardSecret
            ? "sent \(messageID) to \(recipient), sealed to its prekey \(prekeyID) (forward secret)"
            : "sent \(messageID) to \(recipient), sealed to its own key: it has no prekey left (no forward secrecy)"
    }
}

/// What `arbor cluster receive` reports: prekeys published, messages opened (with where their
/// payloads were written, never the payloads) and entries refused, with the reason.
public struct ReceivedMessagesSummary: Codable, Sendable, Equatable {
    public struct Opened: Codable, Sendable, Equatable {
        public let sender: String
        public let messageID: String
        public let time: Int64
        public let bytes: Int
        public let forwardSecret: Bool
        public let file: String

        public init(_ message: ReceivedNodeMessage, file: String) {
            sender = message.sender.description
            messageID = Hex.encode(message.messageID)
            time = message.time
            bytes = message.payload.count
            forwardSecret = message.wasForwardSecret
            self.file = file
        }

        enum CodingKeys: String, CodingKey {
            case sender, messageID = "message_id", time, bytes, forwardSecret = "forward_secret", file
        }
    }

    public struct Refused: Codable, Sendable, Equatable {
        public let key: String
        /// The error's code in snake case, as in the error envelope.
        public let code: String
        public let message: String

        public init(key: String, error: ArborError) {
            self.key = key
            code = error.code.snakeCase
            message = error.message
        }
    }

    public let publishedPrekeys: Int
    public let opened: [Opened]
    public let refused: [Refused]

    public init(publishedPrekeys: Int, opened: [Opened], refused: [Refused]) {
        self.publishedPrekeys = publishedPrekeys
        self.opened = opened
        self.refused = refused
    }

    enum CodingKeys: String, CodingKey {
        case publishedPrekeys = "published_prekeys", opened, refused
    }

    public var text: String {
        var lines = ["published \(publishedPrekeys) new prekeys; opened \(opened.count), refused \(refused.count)"]
        for message in opened {
            lines.append(
                "    from \(message.sender) at \(message.time): \(message.messageID), \(message.bytes) bytes\(message.forwardSecret ? ", forward secret" : ""), written to \(message.file)"
            )
        }
        for entry in refused { lines.append("    refused \(entry.key): \(entry.code): \(entry.message)") }
        return lines.joined(separator: "\n")
    }
}
