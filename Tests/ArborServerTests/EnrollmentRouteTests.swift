import ArborCore
import ArborOperations
import ArborSeal
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArborServer

/// A parent node issues a bundle (`POST /v1/cluster/enrollments`), and a node in enroll mode takes
/// it (`POST /v1/sys/enroll`), both through the real routers.
@Suite("enrollment routes")
struct EnrollmentRouteTests {
    static let now: Int64 = 1_800_000_000

    /// A new node's data directory waiting for a bundle from the test node (`dev/node-1`).
    static func waiting(for parent: TestNode) throws -> EnrollmentDirectory {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-enroll-test-\(UUID().uuidString)/data").path
        return try EnrollmentDirectory.prepare(
            at: path, anchor: try CertificateChain([parent.directory.chain.root]), parent: parent.directory.secret.path.description)
    }

    static func request(_ directory: EnrollmentDirectory, path: String = "dev/node-1/new", code: String? = nil, keyrings: [String] = [])
        -> String
    {
        let body: [String: Any] = [
            "path": path, "recipient": directory.recipient, "code": code ?? directory.code, "keyrings": keyrings,
            "etcd": ["http://127.0.0.1:2379"],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: body), as: UTF8.self)
    }

    @Test("a parent node issues a bundle that the new node opens, with the keyrings it was granted")
    func issueAndOpen() async throws {
        let parent = try await TestNode()
        let directory = try Self.waiting(for: parent)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try await parent.test { client in
            let created = try await client.send(.post, "/v1/keyrings", token: parent.rootToken, json: #"{"name":"payments"}"#)
            #expect(created.status == .ok || created.status == .created)
            let issued = try await client.send(
                .post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory, keyrings: ["payments"]))
            #expect(issued.status == .ok, "\(String(buffer: issued.body))")
            let body = try issued.json()
            let bundle = try #require(body["bundle"] as? String)
            #expect(bundle.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----"))
            #expect(body["node"] as? String == "dev/node-1/new")
            #expect(body["parent"] as? String == "dev/node-1")
            #expect(body["code"] as? String == directory.code)
            #expect(body["keyrings"] as? [String] == ["payments"])
            let opened = try directory.open(bundle: Array(bundle.utf8), at: Self.now + 10)
            #expect(opened.node.path.description == "dev/node-1/new")
            #expect(opened.keyrings.map(\.name) == ["payments"])
            #expect(opened.etcdEndpoints == ["http://127.0.0.1:2379"])
        }
    }

    @Test("enroll needs its operation, keyring.grant on each keyring granted, the right code and a path below the node")
    func refusals() async throws {
        let parent = try await TestNode()
        let directory = try Self.waiting(for: parent)
        defer { try? FileManager.default.removeItem(atPath: directory.path) }
        try await parent.test { client in
            _ = try await client.send(.post, "/v1/keyrings", token: parent.rootToken, json: #"{"name":"payments"}"#)
            let none = try await client.send(.post, "/v1/cluster/enrollments", json: Self.request(directory))
            #expect(none.status == .unauthorized)
            let signer = try await client.createToken(root: parent.rootToken, #"{"policies":[{"operations":["sign"]}]}"#)
            let denied = try await client.send(.post, "/v1/cluster/enrollments", token: signer.token, json: Self.request(directory))
            #expect(denied.status == .forbidden)
            let enroller = try await client.createToken(root: parent.rootToken, #"{"policies":[{"operations":["enroll"]}]}"#)
            let ok = try await client.send(.post, "/v1/cluster/enrollments", token: enroller.token, json: Self.request(directory))
            #expect(ok.status == .ok, "\(String(buffer: ok.body))")
            let noGrant = try await client.send(
                .post, "/v1/cluster/enrollments", token: enroller.token, json: Self.request(directory, keyrings: ["payments"]))
            #expect(noGrant.status == .forbidden)
            let granter = try await client.createToken(
                root: parent.rootToken, #"{"policies":[{"operations":["enroll","keyring.grant"],"keyrings":["pay*"]}]}"#)
            let granted = try await client.send(
                .post, "/v1/cluster/enrollments", token: granter.token, json: Self.request(directory, keyrings: ["payments"]))
            #expect(granted.status == .ok)
            let missing = try await client.send(
                .post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory, keyrings: ["payroll"]))
            #expect(missing.status == .notFound)
            let wrongCode = try await client.send(
                .post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory, code: "00000-00000-00000-00000"))
            #expect(wrongCode.status == .badRequest)
            #expect(try wrongCode.errorCode() == "fingerprint_mismatch")
            let badCode = try await client.send(
                .post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory, code: "12"))
            #expect(badCode.status == .unprocessableContent)
            let outside = try await client.send(
                .post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory, path: "other/node"))
            #expect(outside.status == .unprocessableContent)
        }
    }

    @Test("a node in enroll mode shows its recipient, refuses another node's bundle, installs its own once")
    func enrollMode() async throws {
        let parent = try await TestNode()
        let directory = try Self.waiting(for: parent)
        let other = try Self.waiting(for: parent)
        defer {
            try? FileManager.default.removeItem(atPath: directory.path)
            try? FileManager.default.removeItem(atPath: other.path)
        }
        let (bundle, otherBundle) = try await parent.test { client in
            let mine = try await client.send(.post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(directory))
            let theirs = try await client.send(.post, "/v1/cluster/enrollments", token: parent.rootToken, json: Self.request(other))
            return (try #require(try mine.json()["bundle"] as? String), try #require(try theirs.json()["bundle"] as? String))
        }
        let clock = NodeClock { Self.now + 5 }
        try await EnrollmentMode.application(directory, clock: clock, logger: parent.logger).test(.router) { client in
            let shown = try await client.execute(uri: "/v1/sys/enroll", method: .get)
            #expect(shown.status == .ok)
            #expect(try shown.json()["recipient"] as? String == directory.recipient)
            #expect(try shown.json()["code"] as? String == directory.code)

            let garbage = try await client.execute(uri: "/v1/sys/enroll", method: .post, body: ByteBuffer(string: "not an age file"))
            #expect(garbage.status == .unprocessableContent)
            let foreign = try await client.execute(uri: "/v1/sys/enroll", method: .post, body: ByteBuffer(string: otherBundle))
            #expect(foreign.status == .badRequest)
            #expect(try foreign.errorCode() == "no_matching_key")

            let enrolled = try await client.execute(uri: "/v1/sys/enroll", method: .post, body: ByteBuffer(string: bundle))
            #expect(enrolled.status == .ok, "\(String(buffer: enrolled.body))")
            #expect(try enrolled.json()["node"] as? String == "dev/node-1/new")
            #expect(try enrolled.json()["root_token"] == nil)

            let again = try await client.execute(uri: "/v1/sys/enroll", method: .post, body: ByteBuffer(string: bundle))
            #expect(again.status == .badRequest)
            #expect(try again.errorCode() == "no_matching_key")
        }
        #expect(!EnrollmentDirectory.isWaiting(directory.path))
        #expect(EnrollmentDirectory.isEnrolled(directory.path))
        let installed = try NodeDataDirectory.open(directory.path)
        #expect(installed.secret.path.description == "dev/node-1/new")
        #expect(try NodeClusterSettings.read(from: directory.path).etcd == ["http://127.0.0.1:2379"])
        #expect(throws: ArborError.self) { try EnrollmentDirectory.open(directory.path) }
    }
}
