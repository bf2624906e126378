import ArborCore
import Foundation
import Hummingbird
import Logging
import Testing

@testable import ArborServer

/// What the HTTP layer makes of errors it did not raise itself: a domain error is the caller's
/// 4xx with its message; anything unknown is a 500 whose detail stays in the log.
@Suite("error mapping")
struct ErrorMappingTests {
    struct Unexpected: Error, CustomStringConvertible {
        var description: String { "disk on fire at sector 7" }
    }

    func capture() -> (Logger, Locked<[String]>) {
        let lines = Locked<[String]>([])
        let logger = Logger(label: "test") { JSONLogHandler(label: $0, level: .trace) { line in lines.withLock { $0.append(line) } } }
        return (logger, lines)
    }

    @Test("an unknown error is 500 internal, its detail in the log only")
    func unknownError() {
        let (logger, lines) = capture()
        let mapped = ErrorEnvelopeResponder<RouterResponderStub>.nodeError(for: Unexpected(), logger: logger)
        #expect(mapped.code == .internalError)
        #expect(mapped.status == .internalServerError)
        #expect(!mapped.message.contains("sector 7"))
        #expect(lines.withLock { $0.joined() }.contains("sector 7"))
    }

    @Test(
        "Arbor's domain errors are 4xx with their message; what did not verify keeps its domain code",
        arguments: [
            (ArborError.Code.malformedInput, 422, "invalid_request"), (.invalidArgument, 422, "invalid_request"),
            (.authenticationFailed, 400, "authentication_failed"), (.retiredEpoch, 400, "retired_epoch"),
            (.unknownEpoch, 400, "unknown_epoch"), (.wrongKeyring, 400, "wrong_keyring"), (.conflict, 409, "conflict"),
            (.fileExists, 409, "conflict"), (.fileNotFound, 404, "not_found"), (.limitExceeded, 413, "limit_exceeded"),
        ])
    func domainErrors(code: ArborError.Code, status: Int, name: String) {
        let (logger, lines) = capture()
        let mapped = ErrorEnvelopeResponder<RouterResponderStub>.nodeError(for: ArborError(code, "what to fix"), logger: logger)
        #expect(mapped.status.code == status)
        #expect(mapped.code.description == name)
        #expect(mapped.message == "what to fix")
        #expect(lines.withLock { $0.isEmpty })
    }

    @Test("damaged storage is 500 internal; the code and message go to the log")
    func corruptStorage() {
        let (logger, lines) = capture()
        let mapped = ErrorEnvelopeResponder<RouterResponderStub>.nodeError(for: ArborError(.corruptFile, "row damaged"), logger: logger)
        #expect(mapped.status == .internalServerError)
        #expect(!mapped.message.contains("row damaged"))
        #expect(lines.withLock { $0.joined() }.contains("row damaged"))
    }

    @Test("each request is logged once as a JSON line with its request id, status and accessor, without the token")
    func accessLog() async throws {
        let node = try await TestNode()
        try await node.test { client in
            _ = try await client.send(.get, "/v1/auth/token/lookup-self", token: node.rootToken)
        }
        let lines = node.logLines.withLock { $0 }
        let requests = try lines.compactMap { line -> [String: Any]? in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return object["message"] as? String == "request" ? object : nil
        }
        try #require(requests.count == 1)
        #expect(requests[0]["http.path"] as? String == "/v1/auth/token/lookup-self")
        #expect(requests[0]["http.status"] as? String == "200")
        #expect((requests[0]["hb.request.id"] as? String)?.isEmpty == false)
        #expect(requests[0]["level"] as? String == "info")
        #expect(!lines.joined().contains(node.rootToken))
    }
}

/// A responder type to name `ErrorEnvelopeResponder`'s static mapping with.
struct RouterResponderStub: HTTPResponder {
    typealias Context = NodeRequestContext
    func respond(to request: Request, context: Context) async throws -> Response { Response(status: .ok) }
}
