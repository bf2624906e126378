import ArborCore
import ArborE2EE
import NIOHTTP1

/// The writing side of a token stream (docs/e2ee.md §14): each piece is sealed and sent to the
/// node as soon as the caller has it, so readers see it at once; `finish` sends the final chunk
/// (which may be empty) and the sender's seal over the whole stream.
public actor OutgoingStream {
    public nonisolated let conversation: ConversationID
    /// The stream's opening message, which readers name to read it.
    public nonisolated let message: MessageID
    let transport: NodeTransport
    let token: String
    let identity: IdentityKeys
    private var writer: StreamWriter

    init(
        transport: NodeTransport, token: String, conversation: ConversationID, message: MessageID, writer: StreamWriter,
        identity: IdentityKeys
    ) {
        self.transport = transport
        self.token = token
        self.conversation = conversation
        self.message = message
        self.writer = writer
        self.identity = identity
    }

    /// Chunks sent so far.
    public var chunkCount: UInt64 { writer.chunkCount }

    /// Sends `piece` (up to 64 KiB) as the next chunk.
    public func write(_ piece: [UInt8]) async throws {
        try await send(piece, isFinal: false)
    }

    public func write(_ text: String) async throws { try await write(Array(text.utf8)) }

    /// Sends the final chunk (`last`, possibly empty), then the seal.
    public func finish(_ last: [UInt8] = []) async throws {
        try await send(last, isFinal: true)
        let seal = try writer.seal(with: identity)
        try await transport.call(.PUT, "\(path)/seal", body: WireSeal(seal: WireBytes(seal)), session: token)
    }

    private var path: String { "/v1/e2ee/conversations/\(conversation.hex)/streams/\(message.hex)" }

    private func send(_ piece: [UInt8], isFinal: Bool) async throws {
        let index = writer.chunkCount
        let chunk = try writer.seal(piece, isFinal: isFinal)
        try await transport.call(.PUT, "\(path)/chunks/\(index)", body: WireChunk(chunk: WireBytes(chunk), final: isFinal), session: token)
    }
}
