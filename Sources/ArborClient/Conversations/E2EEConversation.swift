import ArborCore
import ArborE2EE
import NIOHTTP1

/// One conversation as this account sees it (docs/e2ee.md §11–§14): the membership worked out
/// from the signed envelopes, the epoch keys addressed to this account, and the history read in
/// the node's order by a `ConversationReader`. Sending takes its sequence number and `previous`
/// from that reader, so call `refresh()` (every call that writes does) before writing.
public actor E2EEConversation {
    public nonisolated let id: ConversationID
    let session: E2EESession
    public private(set) var creator: AccountID?
    public private(set) var membership: ConversationMembership?
    /// Envelopes the membership did not accept, with why (a node or a member misbehaving).
    public private(set) var rejectedEnvelopes: [String] = []
    /// Everything read so far, in the node's order.
    public private(set) var history: [MessageRead] = []
    private var epochKeys: [UInt32: EpochKey] = [:]
    private var identities: [AccountID: AccountIdentity] = [:]
    private var reader: ConversationReader
    private var lastPosition: Int64 = 0
    static let page = 100

    init(session: E2EESession, id: ConversationID) {
        self.session = session
        self.id = id
        reader = ConversationReader(conversation: id)
    }

    /// The newest epoch whose key this account holds: the one it writes in. When the membership
    /// has a newer epoch this account holds no key of, it was removed (or the node withholds it).
    public var writingEpoch: UInt32? { epochKeys.keys.max() }

    /// The members of the epoch this account writes in, by name.
    public var members: [AccountIdentity] {
        guard let epoch = writingEpoch, let accounts = membership?.members[epoch] else { return [] }
        return accounts.compactMap { identities[$0] }.sorted { $0.name < $1.name }
    }

    public func name(of account: AccountID) -> String? { identities[account]?.name }

    /// The epoch keys this account opened (for the tests that check none of them reaches the node).
    var heldEpochKeys: [UInt32: EpochKey] { epochKeys }

    // MARK: Reading

    /// Fetches the envelopes again (members come and go) and the messages written since the last
    /// refresh, and reads them.
    public func refresh() async throws {
        try await loadMembership()
        while true {
            let page = try await session.transport.call(
                .GET, "/v1/e2ee/conversations/\(id.hex)/messages?after=\(lastPosition)&limit=\(Self.page)",
                session: session.token, as: WireMessages.self)
            for item in page.messages where item.position > lastPosition {
                history.append(MessageRead(position: item.position, outcome: read(item.message.bytes)))
                lastPosition = item.position
            }
            if page.messages.count < Self.page { break }
        }
    }

    private func loadMembership() async throws {
        let answer = try await session.transport.call(
            .GET, "/v1/e2ee/conversations/\(id.hex)", session: session.token, as: WireConversation.self)
        guard try ConversationID(hex: answer.conversation) == id else {
            throw ArborError(.conflict, "the node answered with conversation \(answer.conversation) for \(id.hex)")
        }
        let creator = try AccountID(hex: answer.creator)
        var envelopes: [KeyEnvelope] = []
        var rejected: [String] = []
        for (index, bytes) in answer.envelopes.enumerated() {
            do {
                envelopes.append(try KeyEnvelope(bytes: bytes.bytes))
            } catch {
                rejected.append("envelope \(index + 1) is not a key envelope")
            }
        }
        var accounts = Set(envelopes.flatMap { [$0.adder, $0.recipient] })
        accounts.insert(creator)
        for account in accounts where identities[account] == nil {
            do {
                identities[account] = try await session.identity(of: account)
            } catch let error as ArborError where error.code == .notFound {
                // Unknown to the node: the membership rejects what that account signed.
                continue
            }
        }
        let membership = try ConversationMembership(
            conversation: id, creator: creator, nonce: answer.nonce.bytes, envelopes: envelopes,
            identities: identities.mapValues(\.publicKeys))
        let me = session.account
        for epoch in membership.members.keys.sorted() where epochKeys[epoch] == nil {
            guard let envelope = membership.envelope(for: me, epoch: epoch), let adder = identities[envelope.adder] else { continue }
            do {
                epochKeys[epoch] = try envelope.open(with: session.keys.identity, adderKeys: adder.publicKeys)
            } catch {
                rejected.append("the key of epoch \(epoch) for this account does not open")
            }
        }
        self.creator = creator
        self.membership = membership
        rejectedEnvelopes =
            rejected + membership.rejected.map { "envelope of epoch \($0.envelope.epoch) for \($0.envelope.recipient.hex): \($0.reason)" }
    }

    private func read(_ bytes: [UInt8]) -> MessageRead.Outcome {
        do {
            guard let membership else { throw ArborError(.conflict, "the conversation's membership is not loaded") }
            let message = try SealedMessage(bytes: bytes)
            let read = try reader.read(
                message, membership: membership, epochKeys: epochKeys, identities: identities.mapValues(\.publicKeys))
            let header = message.header
            let imported = header.kind == .imported ? try ImportedMessage(plaintext: read.plaintext) : nil
            let text: String? =
                switch header.kind {
                case .text: String(decoding: read.plaintext, as: UTF8.self)
                case .imported: imported?.text
                case .stream: nil
                }
            return .read(
                ReadMessage(
                    id: header.id, sender: header.sender, senderName: identities[header.sender]?.name ?? header.sender.hex,
                    epoch: header.epoch, kind: header.kind, sequence: header.sequence, missingBefore: read.missingBefore,
                    answersMissing: read.answersMissing, text: text, imported: imported, sealed: message,
                    streamKey: header.kind == .stream ? read.plaintext : nil))
        } catch let error as ArborError {
            return .refused(error)
        } catch {
            return .refused(ArborError(.malformedInput, "the message does not read: \(type(of: error))"))
        }
    }

    // MARK: Writing

    /// Sends `text` in the epoch this account writes in; returns its position.
    @discardableResult
    public func send(_ text: String) async throws -> Int64 {
        try await refresh()
        let (message, _) = try seal(Array(text.utf8), kind: .text)
        let position = try await post(message)
        try await refresh()
        return position
    }

    /// Sends a message moved from a legacy store (docs/e2ee.md §15) as kind imported, under `id`
    /// (derived from the legacy ids, so a second run writes the same id). False when the node
    /// already holds a message with that id (`409`): an earlier run stored it.
    public func sendImported(_ message: ImportedMessage, id messageID: MessageID) async throws -> Bool {
        try await refresh()
        if history.contains(where: { $0.message?.id == messageID }) { return false }
        let (sealed, _) = try seal(message.plaintext, kind: .imported, id: messageID)
        do {
            _ = try await post(sealed)
        } catch let error as ArborError where error.code == .conflict {
            return false
        }
        return true
    }

    /// The imported messages read so far (call `refresh()` first), by id; refused ones are left
    /// out, as the history shows them refused.
    public var importedMessages: [MessageID: ImportedMessage] {
        var found: [MessageID: ImportedMessage] = [:]
        for message in history.lazy.compactMap(\.message) where message.kind == .imported {
            if let imported = message.imported { found[message.id] = imported }
        }
        return found
    }

    /// Adds the account named `name`: the current epoch's key sealed to them, so they read this
    /// epoch (also what was written before they joined) and nothing of earlier ones.
    public func add(_ name: String) async throws {
        try await refresh()
        let epoch = try newestHeldEpoch()
        let newcomer = try await session.identity(named: name)
        guard membership?.isMember(newcomer.account, of: epoch) != true else {
            throw ArborError(.conflict, "\(name) is a member of this conversation already")
        }
        identities[newcomer.account] = newcomer
        try await postEnvelopes([try envelope(epochKeys[epoch]!, epoch: epoch, to: newcomer)])
        try await refresh()
    }

    /// Removes the account named `name`: a new epoch, its key sealed to every other member of the
    /// current one, so the removed member reads nothing written after.
    public func remove(_ name: String) async throws {
        try await refresh()
        let epoch = try newestHeldEpoch()
        let removed = try await session.identity(named: name)
        guard removed.account != session.account else {
            throw ArborError(
                .invalidArgument, "a member does not remove itself: the epoch it opened would hold no key of its own; ask another member")
        }
        guard let current = membership?.members[epoch], current.contains(removed.account) else {
            throw ArborError(.notFound, "\(name) is not a member of this conversation's epoch \(epoch)")
        }
        let key = EpochKey.random()
        var envelopes: [KeyEnvelope] = []
        for member in current.sorted(by: { $0.hex < $1.hex }) where member != removed.account {
            envelopes.append(try envelope(key, epoch: epoch + 1, to: try await session.identity(of: member)))
        }
        try await postEnvelopes(envelopes)
        try await refresh()
        // The epoch is the one this account opened, without the removed member: a node that
        // listed someone else's opening first would otherwise have it write under that key.
        guard membership?.openers[epoch + 1] == session.account, membership?.isMember(removed.account, of: epoch + 1) == false else {
            throw ArborError(
                .conflict,
                "epoch \(epoch + 1) was opened by another account than this one, or still holds \(name): the node did not carry out the removal"
            )
        }
    }

    /// Starts a token stream (docs/e2ee.md §14): the opening message carrying a fresh stream key
    /// is sent now; the returned writer sends each piece as it is written, then the seal.
    public func startStream() async throws -> OutgoingStream {
        try await refresh()
        let streamKey = StreamKey.random()
        var keyBytes = streamKey.plaintext
        defer { keyBytes.wipe() }
        let (message, _) = try seal(keyBytes, kind: .stream)
        let writer = try StreamWriter(message: message, streamKey: streamKey)
        _ = try await post(message)
        try await refresh()
        return OutgoingStream(
            transport: session.transport, token: session.token, conversation: id, message: message.header.id, writer: writer,
            identity: session.keys.identity)
    }

    /// The pieces of the stream that message `stream` opens, each as it verifies, over
    /// Server-Sent Events; the sequence ends once the sender's seal verifies, and throws when a
    /// chunk or the seal does not.
    public func readStream(_ stream: MessageID) async throws -> IncomingStream {
        if !history.contains(where: { $0.message?.id == stream }) { try await refresh() }
        guard let message = history.lazy.compactMap(\.message).first(where: { $0.id == stream }) else {
            if history.contains(where: { $0.refusal != nil }) {
                throw ArborError(.authenticationFailed, "message \(stream.hex) was refused, or is not in this conversation")
            }
            throw ArborError(.notFound, "message \(stream.hex) is not in this conversation")
        }
        guard message.kind == .stream, let opened = message.streamKey, let sender = identities[message.sender] else {
            throw ArborError(.invalidArgument, "message \(stream.hex) is a text message, not a stream")
        }
        return IncomingStream(
            transport: session.transport, token: session.token, conversation: id, message: message.sealed,
            reader: try StreamReader(message: message.sealed, opened: opened), senderKeys: sender.publicKeys)
    }

    private func newestHeldEpoch() throws -> UInt32 {
        guard let epoch = writingEpoch else {
            throw ArborError(.noMatchingKey, "this account holds no key of conversation \(id.hex)")
        }
        if let newest = membership?.newestEpoch, newest > epoch {
            throw ArborError(
                .noMatchingKey,
                "conversation \(id.hex) has moved to epoch \(newest), whose key this account was not given: it was removed")
        }
        return epoch
    }

    private func seal(_ plaintext: [UInt8], kind: MessageKind, id messageID: MessageID = .random()) throws -> (SealedMessage, MessageHeader)
    {
        let epoch = try newestHeldEpoch()
        let header = try MessageHeader(
            kind: kind, conversation: id, epoch: epoch, id: messageID, sender: session.account,
            sequence: reader.nextSequence(for: session.account), previous: reader.lastRead)
        return (
            try SealedMessage.seal(plaintext, header: header, epochKey: epochKeys[epoch]!, senderIdentity: session.keys.identity), header
        )
    }

    private func envelope(_ key: EpochKey, epoch: UInt32, to recipient: AccountIdentity) throws -> KeyEnvelope {
        try KeyEnvelope.seal(
            key, conversation: id, epoch: epoch, recipient: recipient.account, recipientKeys: recipient.publicKeys,
            adder: session.account, adderIdentity: session.keys.identity)
    }

    private func post(_ message: SealedMessage) async throws -> Int64 {
        try await session.transport.call(
            .POST, "/v1/e2ee/conversations/\(id.hex)/messages", body: WireMessage(message: WireBytes(message.bytes)),
            session: session.token, as: WirePosition.self
        ).position
    }

    private func postEnvelopes(_ envelopes: [KeyEnvelope]) async throws {
        try await session.transport.call(
            .POST, "/v1/e2ee/conversations/\(id.hex)/envelopes", body: WireEnvelopes(envelopes: envelopes.map { WireBytes($0.bytes) }),
            session: session.token)
    }
}
