import ArborCore
import ArborE2EE
import ArborOperations
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle

/// A token stream as Server-Sent Events: the chunks stored from `from` on, then each new one as
/// it is written (the notifier wakes the reader; nothing polls), then the seal. The connection
/// ends early when the node shuts down gracefully, so that a waiting reader does not hold it up.
struct StreamEvents: Sendable {
    let streams: E2EEStreams
    let conversation: ConversationID
    let stream: MessageID
    let from: Int64

    func response(keepAlive: Duration, limit: Duration, logger: Logger) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { writer in
                do {
                    try await send(to: &writer, keepAlive: keepAlive, limit: limit)
                    try await writer.finish(nil)
                } catch {
                    // The status is already sent: ending the connection is the only way to say so.
                    logger.warning("stream aborted", metadata: ["stream": "e2ee", "error.type": "\(type(of: error))"])
                    throw error
                }
            })
    }

    private func send(to writer: inout any ResponseBodyWriter, keepAlive: Duration, limit: Duration) async throws {
        let key = StreamNotifier.Stream(conversation: conversation, message: stream)
        let deadline = ContinuousClock.now + limit
        var next = from
        while true {
            // The version first: a write after it wakes the wait below, even one made during the read.
            let version = streams.notifier.version(of: key)
            let (chunks, state) = try await streams.read(stream, in: conversation, from: next)
            for chunk in chunks {
                try await writer.write(ByteBuffer(string: Self.event(chunk)))
                next = chunk.index + 1
            }
            if let seal = state.seal, state.isFinished {
                try await writer.write(ByteBuffer(string: "event: seal\ndata: {\"seal\":\"\(Base64URL.encode(seal))\"}\n\n"))
                return
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else { return }
            let notifier = streams.notifier
            let woken = await cancelWhenGracefulShutdown {
                await notifier.wait(for: key, beyond: version, timeout: min(keepAlive, remaining))
            }
            // A node shutting down does not wait for unfinished streams: the reader reconnects
            // (to this node once it is back, or to another) with Last-Event-ID.
            guard !Task.isShuttingDownGracefully else { return }
            if !woken { try await writer.write(ByteBuffer(string: ": waiting\n\n")) }
        }
    }

    static func event(_ chunk: StoredChunk) -> String {
        "event: chunk\nid: \(chunk.index)\ndata: {\"chunk\":\"\(Base64URL.encode(chunk.bytes))\",\"final\":\(chunk.isFinal)}\n\n"
    }
}
