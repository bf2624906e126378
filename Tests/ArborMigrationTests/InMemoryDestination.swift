import ArborCore
import ArborE2EE
import ArborMigration

/// A node stand-in that encrypts and reads back with the real formats: each conversation is the
/// account's alone (its epoch-0 envelope to itself), each imported message a signed
/// `SealedMessage`, read back through `ConversationReader`. `failAfterStoring` makes the n-th
/// append store its message and then throw, as a connection lost after the node stored it.
actor InMemoryDestination: MigrationDestination {
    struct Conversation {
        let nonce: [UInt8]
        let envelope: KeyEnvelope
        var messages: [SealedMessage] = []
    }

    let keys: AccountKeys
    private(set) var conversations: [ConversationID: Conversation] = [:]
    private var epochKeys: [ConversationID: EpochKey] = [:]
    private var appends = 0
    var failAfterStoring: Int?

    init(keys: AccountKeys) { self.keys = keys }

    func setFailAfterStoring(_ count: Int?) { failAfterStoring = count }

    func dropMessage(at index: Int, of conversation: ConversationID) { conversations[conversation]?.messages.remove(at: index) }

    var messageCount: Int { conversations.values.reduce(0) { $0 + $1.messages.count } }

    func openConversation(nonce: [UInt8]) async throws -> ConversationID {
        let id = try ConversationID(creator: keys.account, nonce: nonce)
        if conversations[id] == nil {
            let key = EpochKey.random()
            let envelope = try KeyEnvelope.seal(
                key, conversation: id, epoch: 0, recipient: keys.account, recipientKeys: keys.identity.publicKeys, adder: keys.account,
                adderIdentity: keys.identity)
            conversations[id] = Conversation(nonce: nonce, envelope: envelope)
            epochKeys[id] = key
        }
        return id
    }

    func append(_ message: ImportedMessage, id: MessageID, to conversation: ConversationID) async throws -> Bool {
        guard var stored = conversations[conversation], let key = epochKeys[conversation] else {
            throw ArborError(.notFound, "no conversation \(conversation.hex)")
        }
        guard !stored.messages.contains(where: { $0.header.id == id }) else { return false }
        let header = try MessageHeader(
            kind: .imported, conversation: conversation, epoch: 0, id: id, sender: keys.account,
            sequence: UInt64(stored.messages.count + 1), previous: stored.messages.last?.header.id ?? .none)
        stored.messages.append(try SealedMessage.seal(message.plaintext, header: header, epochKey: key, senderIdentity: keys.identity))
        conversations[conversation] = stored
        appends += 1
        if appends == failAfterStoring { throw ArborError(.ioFailure, "the connection was lost after the message was stored") }
        return true
    }

    func importedMessages(in conversation: ConversationID) async throws -> [MessageID: ImportedMessage] {
        guard let stored = conversations[conversation] else { return [:] }
        let opened = try stored.envelope.open(with: keys.identity, adderKeys: keys.identity.publicKeys)
        let membership = try ConversationMembership(
            conversation: conversation, creator: keys.account, nonce: stored.nonce, envelopes: [stored.envelope],
            identities: [keys.account: keys.identity.publicKeys])
        var reader = ConversationReader(conversation: conversation)
        var result: [MessageID: ImportedMessage] = [:]
        for message in stored.messages {
            // A refused message is left out, as a client shows it refused: verification finds it missing.
            guard
                let read = try? reader.read(
                    message, membership: membership, epochKeys: [0: opened], identities: [keys.account: keys.identity.publicKeys])
            else { continue }
            result[message.header.id] = try ImportedMessage(plaintext: read.plaintext)
        }
        return result
    }

    func deleteConversation(_ conversation: ConversationID) async throws {
        conversations[conversation] = nil
        epochKeys[conversation] = nil
    }
}
