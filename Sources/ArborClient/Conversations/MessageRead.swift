import ArborCore
import ArborE2EE

/// One message of a conversation's history, in the node's order: either read (verified and
/// opened) or refused, with the reason (docs/e2ee.md §13). A refusal is not fatal: the history
/// goes on after it, and the refused message changes nothing the reader holds.
public struct MessageRead: Sendable, CustomStringConvertible {
    public enum Outcome: Sendable {
        case read(ReadMessage)
        case refused(ArborError)
    }

    /// The node's position of the message (1, 2, …).
    public let position: Int64
    public let outcome: Outcome

    public var message: ReadMessage? {
        if case .read(let message) = outcome { return message }
        return nil
    }

    public var refusal: ArborError? {
        if case .refused(let error) = outcome { return error }
        return nil
    }

    public var description: String {
        switch outcome {
        case .read(let message): "MessageRead(\(position), \(message))"
        case .refused(let error): "MessageRead(\(position), refused: \(error.code))"
        }
    }
}

/// A message that verified under its sender's identity and opened.
public struct ReadMessage: Sendable, CustomStringConvertible {
    public let id: MessageID
    public let sender: AccountID
    /// The sender's name, as the node gave it with their identity.
    public let senderName: String
    public let epoch: UInt32
    public let kind: MessageKind
    public let sequence: UInt64
    /// How many of the sender's messages before this one the node never delivered.
    public let missingBefore: UInt64
    /// Whether it answers a message the node had not delivered before it (a gap; that message,
    /// if it comes later, is refused as reordered).
    public let answersMissing: Bool
    /// The text of a text or imported message; nil for a stream (read it with
    /// `E2EEConversation.readStream`).
    public let text: String?
    /// For a message moved from a legacy store (docs/e2ee.md §15): the author and time the legacy
    /// store recorded, signed by the importer (`sender`), not by the author.
    public let imported: ImportedMessage?
    let sealed: SealedMessage
    /// The opened plaintext of a stream message: its stream key. Never shown.
    let streamKey: [UInt8]?

    /// Redacted: the text is the user's, the stream key a secret.
    public var description: String { "ReadMessage(\(id.hex), \(kind), from \(senderName), epoch \(epoch))" }
}
