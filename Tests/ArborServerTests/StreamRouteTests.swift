import ArborCore
import ArborSeal
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

@testable import ArborServer

#if canImport(Glibc)
    import Glibc
#endif

/// `POST /v1/keyrings/:name/stream/{encrypt,decrypt}` through the real router: round trips of
/// several sizes, the same age format as `arbor encrypt/decrypt --keyring`, header errors as 4xx
/// JSON before any body, and mid-stream failures as an aborted body that never holds an
/// unauthenticated chunk's plaintext.
@Suite("streaming routes")
struct StreamRouteTests {
    static let chunk = 64 * 1024

    /// A node with keyrings `payments` and `other`, created directly in its store.
    static func node() async throws -> (TestNode, payments: MeshKeyring, other: MeshKeyring) {
        let node = try await TestNode()
        let store = SealedKeyringStore(database: node.database)
        let payments = try MeshKeyring.create(name: "payments", owner: node.directory.secret)
        let other = try MeshKeyring.create(name: "other", owner: node.directory.secret)
        try await store.save(payments)
        try await store.save(other)
        return (node, payments, other)
    }

    /// Bytes whose every 64 KiB chunk differs, so a chunk's plaintext can be recognised.
    static func plaintext(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 16) } }

    static func open(_ file: [UInt8], with keyring: MeshKeyring) throws -> (plaintext: [UInt8], stanzas: [String]) {
        var decryptor = AgeDecryptor(identities: [.meshKeyring(keyring)])
        var plaintext: [UInt8] = []
        try decryptor.update(file) { plaintext += $0 }
        try decryptor.finish { plaintext += $0 }
        return (plaintext, decryptor.header?.stanzas.map(\.type) ?? [])
    }

    /// What `arbor encrypt --keyring` writes: the same recipient, sealed by ArborSeal directly.
    static func sealLikeTheCLI(_ plaintext: [UInt8], to keyring: MeshKeyring, armored: Bool = false) throws -> [UInt8] {
        var encryptor = try AgeEncryptor(
            recipients: [.meshKeyring(keyring, origin: try TreePath(parsing: "dev/laptop"), time: 1_800_000_000_000)], armored: armored)
        return try encryptor.update(plaintext) + encryptor.finish()
    }

    @Test(
        "encrypt then decrypt through the routes; the file has one arbor-mesh stanza and opens with ArborSeal",
        arguments: [0, 1, 3 * 65_536, 3 * 1_048_576 + 12_345])
    func roundTrip(size: Int) async throws {
        let (node, payments, _) = try await Self.node()
        let plaintext = Self.plaintext(size)
        try await node.test { client in
            let sealed = try await client.stream("encrypt", "payments", plaintext, token: node.rootToken)
            #expect(sealed.status == .ok)
            #expect(sealed.headers[.contentType] == "application/octet-stream")
            let file = Array(sealed.body.readableBytesView)
            #expect(file.starts(with: Array("age-encryption.org/v1\n".utf8)))
            let opened = try Self.open(file, with: payments)
            #expect(opened.plaintext == plaintext)
            #expect(opened.stanzas == ["arbor-mesh"])

            let back = try await client.stream("decrypt", "payments", file, token: node.rootToken)
            #expect(back.status == .ok)
            #expect(Array(back.body.readableBytesView) == plaintext)
        }
    }

    @Test("armor=true writes age's ASCII armor, which decrypt reads back; armor=maybe is 400")
    func armored() async throws {
        let (node, payments, _) = try await Self.node()
        let plaintext = Self.plaintext(200_000)
        try await node.test { client in
            let sealed = try await client.stream("encrypt", "payments", plaintext, token: node.rootToken, query: "?armor=true")
            #expect(sealed.status == .ok)
            let text = String(buffer: sealed.body)
            #expect(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
            #expect(try Self.open(Array(text.utf8), with: payments).plaintext == plaintext)
            let back = try await client.stream("decrypt", "payments", Array(text.utf8), token: node.rootToken)
            #expect(Array(back.body.readableBytesView) == plaintext)

            let bad = try await client.stream("encrypt", "payments", plaintext, token: node.rootToken, query: "?armor=maybe")
            #expect(bad.status == .badRequest)
            #expect(try bad.errorCode() == "bad_request")
        }
    }

    @Test("decrypt opens what arbor encrypt --keyring writes (another node's origin, armored or not)")
    func cliFormat() async throws {
        let (node, payments, _) = try await Self.node()
        let plaintext = Self.plaintext(5 * Self.chunk + 7)
        try await node.test { client in
            for armored in [false, true] {
                let file = try Self.sealLikeTheCLI(plaintext, to: payments, armored: armored)
                let back = try await client.stream("decrypt", "payments", file, token: node.rootToken)
                #expect(back.status == .ok)
                #expect(Array(back.body.readableBytesView) == plaintext)
            }
        }
    }

    @Test("header errors are 422 JSON before any body: wrong keyring, not an age file, only a header; unknown keyring 404")
    func headerErrors() async throws {
        let (node, payments, _) = try await Self.node()
        let file = try Self.sealLikeTheCLI(Self.plaintext(1000), to: payments)
        try await node.test { client in
            let wrong = try await client.stream("decrypt", "other", file, token: node.rootToken)
            #expect(wrong.status == .unprocessableContent)
            #expect(try wrong.errorCode() == "invalid_request")
            #expect(String(buffer: wrong.body).contains("no arbor-mesh stanza for keyring 'other'"))

            let notAge = try await client.stream("decrypt", "payments", Array("hello, not age".utf8), token: node.rootToken)
            #expect(notAge.status == .unprocessableContent)
            #expect(try notAge.errorCode() == "invalid_request")

            // Cut after the header and nonce: the payload is missing.
            let headerOnly = Array(file.prefix(file.count - 1000 - 16))
            let cut = try await client.stream("decrypt", "payments", headerOnly, token: node.rootToken)
            #expect(cut.status == .unprocessableContent)
            #expect(try cut.errorCode() == "invalid_request")

            // A modified first chunk fails before the status too.
            var early = file
            early[early.count - 20] ^= 1
            let modified = try await client.stream("decrypt", "payments", early, token: node.rootToken)
            #expect(modified.status == .unprocessableContent)

            let unknown = try await client.stream("decrypt", "nobody", file, token: node.rootToken)
            #expect(unknown.status == .notFound)
            #expect(try unknown.errorCode() == "not_found")
        }
    }

    /// A 4 MiB file with chunk 40 (past the first 1 MiB piece) modified, or cut after chunk 40.
    static func damagedFiles(_ keyring: MeshKeyring) throws -> (plaintext: [UInt8], tampered: [UInt8], truncated: [UInt8]) {
        let plaintext = plaintext(64 * chunk)
        let file = try sealLikeTheCLI(plaintext, to: keyring)
        let payloadStart = file.count - 64 * (chunk + 16)
        var tampered = file
        tampered[payloadStart + 40 * (chunk + 16) + 100] ^= 0x80
        let truncated = Array(file.prefix(payloadStart + 41 * (chunk + 16)))
        return (plaintext, tampered, truncated)
    }

    @Test("a modified middle chunk aborts the body: only the 40 chunks before it are written, and the body never ends")
    func tamperedMiddleChunk() async throws {
        let (node, payments, _) = try await Self.node()
        let (plaintext, tampered, _) = try Self.damagedFiles(payments)

        // The body as the server writes it.
        let decryption = StreamDecryption(body: RequestBody(buffer: ByteBuffer(bytes: tampered)), keyring: payments)
        try await decryption.start()
        let recorder = RecordingWriter()
        let error = await #expect(throws: ArborError.self) {
            try await decryption.response(logger: Logger(label: "test")).body.write(recorder)
        }
        #expect(error?.code == .authenticationFailed)
        #expect(recorder.bytes == Array(plaintext.prefix(40 * Self.chunk)))
        #expect(!recorder.finished)

        // Through the router: the request fails instead of answering a complete 200.
        try await node.test { client in
            let failure = await #expect(throws: ArborError.self) {
                try await client.stream("decrypt", "payments", tampered, token: node.rootToken)
            }
            #expect(failure?.code == .authenticationFailed)
        }
    }

    @Test("a file cut after a middle chunk aborts the body after the chunks that verified")
    func truncatedStream() async throws {
        let (node, payments, _) = try await Self.node()
        let (plaintext, _, truncated) = try Self.damagedFiles(payments)
        let decryption = StreamDecryption(body: RequestBody(buffer: ByteBuffer(bytes: truncated)), keyring: payments)
        try await decryption.start()
        let recorder = RecordingWriter()
        let error = await #expect(throws: ArborError.self) {
            try await decryption.response(logger: Logger(label: "test")).body.write(recorder)
        }
        #expect(error?.code == .truncated)
        #expect(recorder.bytes == Array(plaintext.prefix(41 * Self.chunk)))
        #expect(!recorder.finished)
        try await node.test { client in
            let failure = await #expect(throws: ArborError.self) {
                try await client.stream("decrypt", "payments", truncated, token: node.rootToken)
            }
            #expect(failure?.code == .truncated)
        }
    }

    @Test("no token 401; a token for other keyrings 403 on both routes; encrypt-only may not decrypt")
    func authorization() async throws {
        let (node, payments, _) = try await Self.node()
        let file = try Self.sealLikeTheCLI([1, 2, 3], to: payments)
        try await node.test { client in
            let anonymous = try await client.stream("encrypt", "payments", [1, 2, 3], token: nil)
            #expect(anonymous.status == .unauthorized)
            #expect(try anonymous.errorCode() == "missing_token")

            let (elsewhere, _) = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt","decrypt"],"keyrings":["billing-*"]}]}"#)
            for operation in ["encrypt", "decrypt"] {
                let denied = try await client.stream(operation, "payments", file, token: elsewhere)
                #expect(denied.status == .forbidden)
                #expect(try denied.errorCode() == "permission_denied")
            }
            // 403 before 404: a denied token does not learn whether a keyring exists.
            #expect(try await client.stream("encrypt", "nobody", file, token: elsewhere).status == .forbidden)

            let (sealOnly, _) = try await client.createToken(
                root: node.rootToken, #"{"policies":[{"operations":["encrypt"],"keyrings":["pay*"]}]}"#)
            #expect(try await client.stream("encrypt", "payments", [1, 2, 3], token: sealOnly).status == .ok)
            #expect(try await client.stream("decrypt", "payments", file, token: sealOnly).status == .forbidden)
        }
    }
}

/// The idle timeout through a real socket: an upload that stops sending is closed by the node.
@Suite("stream idle timeout")
struct StreamIdleTimeoutTests {
    @Test("a stream upload that goes silent is closed after NodeLimits.idleTimeoutSeconds")
    func stalledUpload() async throws {
        var limits = NodeLimits()
        limits.idleTimeoutSeconds = 1
        let node = try await TestNode(limits: limits)
        try await SealedKeyringStore(database: node.database).save(try MeshKeyring.create(name: "payments", owner: node.directory.secret))
        let token = node.rootToken
        try await NodeApplication.make(node: node.node, logger: node.logger).test(.live) { client in
            let port = try #require(client.port)
            // Chunked, one piece of body, then nothing: the node must close the connection, not wait forever.
            let outcome = try RawConnection.stall(
                port: port,
                request: "POST /v1/keyrings/payments/stream/encrypt HTTP/1.1\r\nHost: localhost\r\nX-Arbor-Token: \(token)\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
            #expect(outcome == .closedByNode)
        }
    }
}

/// A blocking TCP client for the one thing the test clients cannot do: stop sending mid-body.
enum RawConnection {
    enum Outcome: Equatable { case closedByNode, stillOpen }

    /// Sends `request`, then reads until the node closes (end of file or reset), or gives up after
    /// 30 s (a guard against a hang, far above the timeout under test).
    static func stall(port: Int, request: String) throws -> Outcome {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(descriptor >= 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(connected == 0)
        var guardTime = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &guardTime, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array(request.utf8)
        try #require(send(descriptor, bytes, bytes.count, 0) == bytes.count)
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count == 0 || (count < 0 && errno == ECONNRESET) { return .closedByNode }
            if count < 0 { return .stillOpen }
        }
    }
}

/// Records what a response body writes, and whether it ended.
final class RecordingWriter: ResponseBodyWriter, Sendable {
    private let state = Mutex<(bytes: [UInt8], finished: Bool)>(([], false))

    var bytes: [UInt8] { state.withLock { $0.bytes } }
    var finished: Bool { state.withLock { $0.finished } }

    func write(_ buffer: ByteBuffer) async throws { state.withLock { $0.bytes += buffer.readableBytesView } }
    func finish(_ trailingHeaders: HTTPFields?) async throws { state.withLock { $0.finished = true } }
}

extension TestClientProtocol {
    func stream(_ operation: String, _ keyring: String, _ body: [UInt8], token: String?, query: String = "") async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[HTTPField.Name("X-Arbor-Token")!] = token }
        return try await execute(
            uri: "/v1/keyrings/\(keyring)/stream/\(operation)\(query)", method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }
}
