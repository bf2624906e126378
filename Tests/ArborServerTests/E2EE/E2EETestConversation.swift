import ArborCore
import ArborE2EE
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

/// A conversation built with the real ArborE2EE formats: its id from the creator and a nonce,
/// epoch keys, envelopes and messages.
struct E2EETestConversation: Sendable {
    let creator: E2EETestAccount
    let nonce: [UInt8]
    let id: ConversationID
    let key: EpochKey

    init(creator: E2EETestAccount) throws {
        self.creator = creator
        nonce = randomBytes(ConversationID.nonceSize)
        id = try ConversationID(creator: creator.id, nonce: nonce)
        key = EpochKey.random()
    }

    /// An envelope of `epoch` for `recipient`, added and signed by `adder` (the creator unless said).
    func envelope(
        for recipient: E2EETestAccount, epoch: UInt32 = 0, key: EpochKey? = nil, by adder: E2EETestAccount? = nil,
        signer: E2EETestAccount? = nil, conversation: ConversationID? = nil
    ) throws -> String {
        let adder = adder ?? creator
        let envelope = try KeyEnvelope.seal(
            key ?? self.key, conversation: conversation ?? id, epoch: epoch, recipient: recipient.id,
            recipientKeys: recipient.identity.publicKeys, adder: adder.id, adderIdentity: (signer ?? adder).identity)
        return Base64URL.encode(envelope.bytes)
    }

    /// A message by `sender` (signed by `signer`, the sender unless said).
    func message(
        from sender: E2EETestAccount, text: String = "hello", kind: MessageKind = .text, epoch: UInt32 = 0, key: EpochKey? = nil,
        id: MessageID = .random(), sequence: UInt64 = 1, signer: E2EETestAccount? = nil, plaintext: [UInt8]? = nil
    ) throws -> SealedMessage {
        let header = try MessageHeader(
            kind: kind, conversation: self.id, epoch: epoch, id: id, sender: sender.id, sequence: sequence, previous: .none)
        return try SealedMessage.seal(
            plaintext ?? Array(text.utf8), header: header, epochKey: key ?? self.key, senderIdentity: (signer ?? sender).identity)
    }

    func createJSON(envelopes: [String], nonce: [UInt8]? = nil, id: ConversationID? = nil) -> String {
        json(["conversation": (id ?? self.id).hex, "nonce": Base64URL.encode(nonce ?? self.nonce), "envelopes": envelopes])
    }
}

/// A JSON object as text.
func json(_ object: [String: Any]) -> String {
    String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(), as: UTF8.self)
}

extension TestClientProtocol {
    func post(_ message: SealedMessage, to conversation: ConversationID, session: String) async throws -> TestResponse {
        try await e2ee(
            .post, "conversations/\(conversation.hex)/messages", session: session, json: json(["message": Base64URL.encode(message.bytes)]))
    }
}
