import ArborCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// JSON over HTTP to a node's `/v1/e2ee` routes (docs/e2ee.md §16). It moves bytes and maps the
/// node's error envelope to `ArborError`; it knows nothing of keys.
struct NodeTransport: Sendable {
    let base: String
    let httpClient: HTTPClient
    let timeout: TimeAmount

    init(node: String, httpClient: HTTPClient, timeout: TimeAmount = .seconds(60)) throws {
        var base = node
        while base.hasSuffix("/") { base.removeLast() }
        guard base.hasPrefix("http://") || base.hasPrefix("https://"), URL(string: base)?.host != nil else {
            throw ArborError(.invalidArgument, "the node's address is a URL such as http://127.0.0.1:8200; '\(node)' is not")
        }
        self.base = base
        self.httpClient = httpClient
        self.timeout = timeout
    }

    /// Sends `body` (JSON) and decodes the answer as `Answer`.
    func call<Answer: Decodable>(
        _ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil, session: String? = nil, as: Answer.Type
    ) async throws -> Answer {
        let bytes = try await send(method, path, body: body, session: session)
        do {
            return try JSONDecoder().decode(Answer.self, from: Data(bytes))
        } catch {
            throw ArborError(.malformedInput, "the node's answer to \(method) \(path) is not what §16 of docs/e2ee.md describes")
        }
    }

    /// Sends `body` and ignores the answer's body (204 and the like).
    func call(_ method: HTTPMethod, _ path: String, body: (any Encodable)? = nil, session: String? = nil) async throws {
        _ = try await send(method, path, body: body, session: session)
    }

    private func send(_ method: HTTPMethod, _ path: String, body: (any Encodable)?, session: String?) async throws -> [UInt8] {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        if let session { request.headers.add(name: "Authorization", value: "Bearer \(session)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        }
        let response: HTTPClientResponse
        do {
            response = try await httpClient.execute(request, timeout: timeout)
        } catch {
            throw ArborError(.ioFailure, "cannot reach the node at \(base) (\(type(of: error))): is it running, and is --node right?")
        }
        let buffer = try await response.body.collect(upTo: 64 << 20)
        let bytes = Array(buffer.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            throw Self.error(status: response.status, body: bytes, method: method, path: path)
        }
        return bytes
    }

    /// Opens a streamed GET (Server-Sent Events); the caller reads the body as it comes.
    func stream(_ path: String, session: String, lastEventID: UInt64?) async throws -> HTTPClientResponse {
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Authorization", value: "Bearer \(session)")
        if let lastEventID { request.headers.add(name: "Last-Event-ID", value: String(lastEventID)) }
        let response: HTTPClientResponse
        do {
            // A stream is open as long as its writer writes: no overall deadline, the node's keep-alive comments hold it.
            response = try await httpClient.execute(request, deadline: .distantFuture)
        } catch {
            throw ArborError(.ioFailure, "cannot reach the node at \(base) (\(type(of: error))): is it running, and is --node right?")
        }
        guard (200..<300).contains(response.status.code) else {
            let body = try await response.body.collect(upTo: 1 << 20)
            throw Self.error(status: response.status, body: Array(body.readableBytesView), method: .GET, path: path)
        }
        return response
    }

    /// The node's `{"error":{"code","message"}}` as an `ArborError` whose code says what kind of
    /// failure it is (so the CLI's exit status follows); the node's message is kept, it carries no
    /// secret.
    static func error(status: HTTPResponseStatus, body: [UInt8], method: HTTPMethod, path: String) -> ArborError {
        let envelope = try? JSONDecoder().decode(NodeErrorEnvelope.self, from: Data(body))
        let said = envelope.map { "\($0.error.message) (\($0.error.code))" } ?? "HTTP \(status.code)"
        let code: ArborError.Code =
            if let name = envelope?.error.code, let known = knownCodes[name] {
                known
            } else {
                switch status.code {
                case 401, 403: .notAuthorised
                case 404: .notFound
                case 409: .conflict
                case 413, 429: .limitExceeded
                case 400, 422: .invalidArgument
                default: .ioFailure
                }
            }
        return ArborError(code, "the node refused \(method) \(path): \(said)")
    }
}

/// The node names a failed check by its `ArborError` code in snake case (a 400
/// `verification_failed` family); the client keeps that code.
let knownCodes: [String: ArborError.Code] = [
    "authentication_failed": .authenticationFailed, "replayed": .replayed, "reordered": .reordered, "truncated": .truncated,
    "malformed_input": .malformedInput, "invalid_argument": .invalidArgument, "no_matching_key": .noMatchingKey,
    "invalid_signature": .invalidSignature, "not_authorised": .notAuthorised,
]

struct NodeErrorEnvelope: Decodable {
    struct Detail: Decodable {
        let code: String
        let message: String
    }

    let error: Detail
}
