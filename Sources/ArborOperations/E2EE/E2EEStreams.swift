import ArborCore
import ArborE2EE

/// Token streams (docs/e2ee.md §14, §16): the sender of a stream message writes its chunks in
/// order, the last marked final, then the seal; members read them as they come. Writes wake the
/// readers through `notifier`.
public struct E2EEStreams: Sendable {
    public static let maximumPiece = 65_536
    public static let tagSize = 16

    let store: any E2EEStore
    public let notifier: StreamNotifier

    public init(store: any E2EEStore, notifier: StreamNotifier) {
        self.store = store
        self.notifier = notifier
    }

    /// Chunk `index` of stream `message`, by its sender; `conflict` unless it is the next one and
    /// no final chunk came before.
    public func appendChunk(
        _ bytes: [UInt8], index: Int64, isFinal: Bool, stream message: MessageID, in id: ConversationID, by caller: AccountID
    ) async throws {
        guard (Self.tagSize...Self.maximumPiece + Self.tagSize).contains(bytes.count) else {
            throw ArborError(
                .invalidArgument, "a chunk is its piece (0 to \(Self.maximumPiece) bytes) and a \(Self.tagSize)-byte tag")
        }
        guard index >= 0 else { throw ArborError(.invalidArgument, "chunks are numbered from 0") }
        try await requireSender(caller, of: message, in: id)
        try await store.appendChunk(StoredChunk(index: index, bytes: bytes, isFinal: isFinal), stream: message, in: id)
        notifier.notify(StreamNotifier.Stream(conversation: id, message: message))
    }

    /// The sender's seal over the finished stream (`conflict` before the final chunk, or twice).
    public func seal(_ seal: [UInt8], stream message: MessageID, in id: ConversationID, by caller: AccountID) async throws {
        guard seal.count == HybridSignature.size else {
            throw ArborError(.invalidArgument, "a stream's seal is a hybrid signature of \(HybridSignature.size) bytes")
        }
        let stored = try await requireSender(caller, of: message, in: id)
        let chunks = try await store.chunks(of: message, in: id, from: 0)
        guard chunks.last?.isFinal == true else { throw ArborError(.conflict, "stream \(message) is sealed after its final chunk") }
        guard let sender = try await store.account(caller),
            StreamSeal.isValid(
                seal, message: try SealedMessage(bytes: stored.bytes), chunks: chunks.map(\.bytes),
                senderKeys: sender.record.identityPublicKeys)
        else {
            throw ArborError(.authenticationFailed, "the seal does not verify over stream \(message) under the sender's identity")
        }
        try await store.sealStream(message, in: id, seal: seal)
        notifier.notify(StreamNotifier.Stream(conversation: id, message: message))
    }

    /// Checks that `caller` may read the stream (a member of the stream message's epoch).
    public func authorizeReading(_ message: MessageID, in id: ConversationID, by caller: AccountID) async throws {
        let stored = try await streamMessage(message, in: id)
        try await E2EEMembership.load(id, from: store).requireMember(caller, epoch: stored.epoch)
    }

    /// The chunks from `from` on, and where the stream stands, read in that order (so a chunk
    /// the state counts is never missing from the list).
    public func read(_ message: MessageID, in id: ConversationID, from: Int64) async throws -> (
        chunks: [StoredChunk], state: StreamState
    ) {
        let chunks = try await store.chunks(of: message, in: id, from: from)
        let state = try await store.streamState(of: message, in: id)
        return (chunks, state)
    }

    private func streamMessage(_ message: MessageID, in id: ConversationID) async throws -> StoredMessage {
        guard let stored = try await store.message(message, in: id) else {
            throw ArborError(.notFound, "conversation \(id) has no message \(message)")
        }
        guard stored.isStream else { throw ArborError(.conflict, "message \(message) is not a stream") }
        return stored
    }

    @discardableResult
    private func requireSender(_ caller: AccountID, of message: MessageID, in id: ConversationID) async throws -> StoredMessage {
        let stored = try await streamMessage(message, in: id)
        guard stored.sender == caller else { throw ArborError(.notAuthorised, "only the sender of stream \(message) writes to it") }
        // A sender removed since the stream began writes nothing more.
        let membership = try await E2EEMembership.load(id, from: store)
        if let newest = membership.newestEpoch { try membership.requireMember(caller, epoch: newest) }
        return stored
    }
}
