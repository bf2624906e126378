import ArborCore
import ArborE2EE
import AsyncHTTPClient
import Foundation
import NIOCore

/// One piece of a token stream, opened: authentic to a holder of the stream's key. The stream is
/// authentic to its sender once the sequence that gave it ends without an error (the seal).
public struct StreamPiece: Sendable, CustomStringConvertible {
    public let index: UInt64
    public let bytes: [UInt8]
    public let isFinal: Bool

    public var text: String { String(decoding: bytes, as: UTF8.self) }
    public var description: String { "StreamPiece(\(index), \(bytes.count) bytes)" }
}

/// The reading side of a token stream (docs/e2ee.md §14) as an `AsyncSequence`: each chunk opened
/// as the `i`-th of its stream as soon as the node relays it over Server-Sent Events; after a
/// dropped connection the reader reconnects with `Last-Event-ID` set to the last chunk it
/// verified, so nothing is read twice or skipped; the sequence ends when the sender's seal
/// verifies. A chunk that does not open, a duplicate, a gap, or a bad seal ends it with that error;
/// a node that keeps closing the connection without sending anything new ends it as `truncated`.
public struct IncomingStream: AsyncSequence, Sendable {
    public typealias Element = StreamPiece

    let transport: NodeTransport
    let token: String
    let conversation: ConversationID
    let message: SealedMessage
    let reader: StreamReader
    let senderKeys: IdentityPublicKeys
    /// Connections in a row that bring no new chunk before the reader gives up.
    var fruitlessConnections = 5
    /// For tests: end each connection after this many chunk events, as a dropped connection would.
    var chunksPerConnection: Int?

    public func makeAsyncIterator() -> AsyncThrowingStream<StreamPiece, any Error>.Iterator {
        let (stream, continuation) = AsyncThrowingStream<StreamPiece, any Error>.makeStream()
        let task = Task { [self] in
            do {
                try await run(continuation)
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream.makeAsyncIterator()
    }

    private var path: String { "/v1/e2ee/conversations/\(conversation.hex)/streams/\(message.header.id.hex)" }

    private func run(_ continuation: AsyncThrowingStream<StreamPiece, any Error>.Continuation) async throws {
        var reader = reader
        var fruitless = 0
        while true {
            try Task.checkCancellation()
            let before = reader.chunkCount
            let lastVerified = reader.chunkCount == 0 ? nil : reader.chunkCount - 1
            let sealed: Bool
            do {
                sealed = try await readConnection(from: lastVerified, reader: &reader, continuation)
            } catch let error as ArborError where error.code == .ioFailure {
                // The connection broke (or could not be made): try again, from the last verified chunk.
                sealed = false
            }
            if sealed { return }
            fruitless = reader.chunkCount > before ? 0 : fruitless + 1
            guard fruitless < fruitlessConnections else {
                throw ArborError(
                    .truncated,
                    "the node closed the stream \(fruitless) times without sending chunk \(reader.chunkCount) or the seal")
            }
            try await Task.sleep(for: .milliseconds(100 * fruitless))
        }
    }

    /// One connection: events until the seal (true) or until the connection ends (false).
    private func readConnection(
        from lastVerified: UInt64?, reader: inout StreamReader, _ continuation: AsyncThrowingStream<StreamPiece, any Error>.Continuation
    ) async throws -> Bool {
        let response = try await transport.stream(path, session: token, lastEventID: lastVerified)
        var parser = ServerSentEventParser()
        var chunksThisConnection = 0
        do {
            for try await buffer in response.body {
                for event in try parser.feed(buffer.readableBytesView) {
                    switch event.event {
                    case "chunk":
                        guard let id = event.id, let index = UInt64(id) else {
                            throw ArborError(.malformedInput, "a chunk event of the node's stream has no index")
                        }
                        let body = try decode(WireChunk.self, event.data)
                        let piece = try reader.open(body.chunk.bytes, index: index, isFinal: body.final)
                        continuation.yield(StreamPiece(index: index, bytes: piece, isFinal: body.final))
                        chunksThisConnection += 1
                        if let limit = chunksPerConnection, chunksThisConnection >= limit, !body.final { return false }
                    case "seal":
                        try reader.verifySeal(try decode(WireSeal.self, event.data).seal.bytes, senderKeys: senderKeys)
                        return true
                    default:
                        continue
                    }
                }
            }
        } catch let error as ArborError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw ArborError(.ioFailure, "the stream's connection broke (\(type(of: error)))")
        }
        return false
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ data: String) throws -> Value {
        do {
            return try JSONDecoder().decode(type, from: Data(data.utf8))
        } catch {
            throw ArborError(.malformedInput, "an event of the node's stream is not the JSON docs/e2ee.md §16 describes")
        }
    }
}

extension IncomingStream {
    /// The same stream, read with each connection cut after `chunks` chunk events: how the tests
    /// make the node's connection drop mid-stream and check the reader resumes.
    func droppingConnections(after chunks: Int) -> IncomingStream {
        var copy = self
        copy.chunksPerConnection = chunks
        return copy
    }
}
