import ArborCore
import AsyncHTTPClient
import Foundation
import NIOCore

extension EtcdClient {
    /// The changes to every key under `prefix`, in revision order: from `fromRevision` on (so
    /// changes made before the watch started are replayed) or, when it is nil, from now.
    ///
    /// The stream ends when the consuming task is cancelled (the HTTP stream to etcd is closed
    /// then), and throws when etcd cannot be reached, cancels the watch, or has compacted the
    /// revisions asked for (an ArborError that says so: read the keys again and watch from there).
    public func watch(prefix: String, fromRevision: Int64? = nil) -> AsyncThrowingStream<EtcdWatchEvent, any Error> {
        let request = EtcdGateway.WatchRequest(
            create_request: EtcdGateway.WatchCreateRequest(
                key: EtcdKeyRange.start(ofPrefix: prefix),
                range_end: EtcdKeyRange.end(ofPrefix: prefix),
                start_revision: fromRevision.map(EtcdInt64.init)
            )
        )
        let transport = transport
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: EtcdWatchEvent.self)
        let reader = Task {
            do {
                try await EtcdWatchReader(transport: transport, request: request, fromRevision: fromRevision)
                    .run { continuation.yield($0) }
                continuation.finish()
            } catch {
                // A cancelled consumer ends the stream cleanly, whatever error the cancel caused.
                continuation.finish(throwing: Task.isCancelled ? nil : error)
            }
        }
        continuation.onTermination = { _ in reader.cancel() }
        return stream
    }
}

/// Reads one watch: opens the stream and turns its newline-delimited JSON messages into events.
struct EtcdWatchReader {
    let transport: EtcdTransport
    let request: EtcdGateway.WatchRequest
    let fromRevision: Int64?

    private static let path = "/v3/watch"
    /// One message holds one revision's events at most; a larger line is not etcd.
    private static let maximumLineBytes = 64 << 20

    func run(_ deliver: (EtcdWatchEvent) -> Void) async throws {
        let (endpoint, response) = try await transport.openStream(Self.path, request)
        var pending: [UInt8] = []
        do {
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[..<newline]
                    defer { pending.removeSubrange(...newline) }
                    guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { continue }
                    for event in try events(in: Data(line), endpoint: endpoint) { deliver(event) }
                }
                guard pending.count <= Self.maximumLineBytes else {
                    throw EtcdErrors.streamError(endpoint, Self.path, "a message longer than \(Self.maximumLineBytes) bytes")
                }
            }
        } catch let error as ArborError {
            throw error
        } catch {
            try Task.checkCancellation()
            throw EtcdErrors.transport(endpoint, Self.path, error)
        }
        try Task.checkCancellation()
        throw EtcdErrors.streamError(endpoint, Self.path, "the stream ended")
    }

    private func events(in line: Data, endpoint: String) throws -> [EtcdWatchEvent] {
        let message: EtcdGateway.StreamMessage<EtcdGateway.WatchResponse>
        do {
            message = try JSONDecoder().decode(EtcdGateway.StreamMessage<EtcdGateway.WatchResponse>.self, from: line)
        } catch {
            throw EtcdErrors.malformed(endpoint, Self.path, error)
        }
        if let error = message.error {
            throw EtcdErrors.streamError(endpoint, Self.path, error.message ?? "no reason given")
        }
        guard let result = message.result else { return [] }
        if let compacted = result.compact_revision?.value, compacted > 0 {
            throw EtcdErrors.compacted(endpoint, from: fromRevision, compactRevision: compacted)
        }
        if result.canceled == true {
            throw EtcdErrors.watchCanceled(endpoint, result.cancel_reason)
        }
        return (result.events ?? []).map { event in
            let keyValue = event.kv?.keyValue
            return EtcdWatchEvent(
                kind: event.type == "DELETE" ? .delete : .put,
                key: keyValue?.key ?? "",
                value: keyValue?.value ?? [],
                modRevision: keyValue?.modRevision ?? 0
            )
        }
    }
}
