import ArborCore
import ArborE2EE
import ArborOperations
import HTTPTypes
import Hummingbird
import NIOCore

/// Token streams (docs/e2ee.md §14, §16):
///
/// - `PUT …/streams/{m}/chunks/{i}` `{chunk, final}` and `PUT …/streams/{m}/seal` `{seal}`, by
///   the stream message's sender, in order.
/// - `GET …/streams/{m}`: Server-Sent Events, `event: chunk` with `id: i` and `data: {chunk,
///   final}` for each chunk from `?from=` (or after `Last-Event-ID`), then `event: seal`. While
///   the stream is unfinished the connection stays open and each new chunk is sent as it is
///   written, up to ``connectionLimit``; the client then reconnects with `Last-Event-ID`.
struct E2EEStreamRoutes: NodeRoutes {
    /// A comment line this often while nothing is written, so that neither the node's idle
    /// timeout nor a proxy's closes a waiting reader.
    static let keepAlive = Duration.seconds(15)
    static let connectionLimit = Duration.seconds(300)

    let gate: E2EEGate

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.put("conversations/:conversation/streams/:stream/chunks/:index") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let (id, stream) = try Self.stream(context)
            let index = try context.parameter("index") { text in
                guard let index = Int64(text), index >= 0 else { throw NodeError(.badRequest, "a chunk index is 0 or more") }
                return index
            }
            let body = try await gate.body(ChunkBody.self, request)
            try await streams().appendChunk(
                body.chunk.bytes, index: index, isFinal: body.final, stream: stream, in: id, by: caller.account)
            return Response(status: .noContent)
        }
        group.put("conversations/:conversation/streams/:stream/seal") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let (id, stream) = try Self.stream(context)
            let body = try await gate.body(SealBody.self, request)
            try await streams().seal(body.seal.bytes, stream: stream, in: id, by: caller.account)
            return Response(status: .noContent)
        }
        group.get("conversations/:conversation/streams/:stream") { request, context -> Response in
            let caller = try await gate.caller(request, context)
            let (id, stream) = try Self.stream(context)
            let streams = try streams()
            try await streams.authorizeReading(stream, in: id, by: caller.account)
            return StreamEvents(streams: streams, conversation: id, stream: stream, from: try Self.start(request))
                .response(keepAlive: Self.keepAlive, limit: Self.connectionLimit, logger: context.logger)
        }
    }

    private func streams() throws -> E2EEStreams { E2EEStreams(store: try gate.requireStore(), notifier: gate.notifier) }

    static func stream(_ context: NodeRequestContext) throws -> (ConversationID, MessageID) {
        (try context.parameter("conversation", ConversationID.init(hex:)), try context.parameter("stream", MessageID.init(hex:)))
    }

    /// The first chunk to send: after `Last-Event-ID` (a reconnecting `EventSource` sends it),
    /// else `?from=`, else 0.
    static func start(_ request: Request) throws -> Int64 {
        if let last = request.headers[.lastEventID] {
            guard let index = Int64(last), index >= 0, index < Int64.max else {
                throw NodeError(.badRequest, "Last-Event-ID is the index of a chunk")
            }
            return index + 1
        }
        if let from = request.uri.queryParameters.get("from") {
            guard let index = Int64(from), index >= 0 else { throw NodeError(.badRequest, "from is a chunk index, 0 or more") }
            return index
        }
        return 0
    }
}

extension HTTPField.Name {
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
}
