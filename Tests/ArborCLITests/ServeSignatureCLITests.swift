import ArborTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// What a node publishes, checked offline with the CLI: a signature from `POST /v1/sign` verifies
/// with `arbor verify`, and the head from `GET /v1/sys/audit/head` makes `arbor audit verify --head`
/// catch the log cut back past it.
@Suite("arbor serve: signatures and audit heads checked offline", .serialized)
struct ServeSignatureCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A root, the node `eu/node-7` certified by it, and a data directory; returns the root token.
    func initNode() throws -> String {
        try arbor.initRoot()
        let derived = try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try #require(derived.status == 0, "\(derived.stderr)")
        let issued = try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        try #require(issued.status == 0, "\(issued.stderr)")
        let initialized = try arbor.run(["serve", "init", "--data", "data", "--node-key", "node.key", "--chain", "node.chain"])
        try #require(initialized.status == 0, "\(initialized.stderr)")
        let tokenLine = try #require(initialized.stdout.split(separator: "\n").first { $0.hasPrefix("Root token") })
        return String(try #require(tokenLine.split(separator: " ").last))
    }

    func serve() throws -> ServeCLITests.RunningNode {
        let node = try ServeCLITests.RunningNode(arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0"], expectToken: false)
        try #require(!node.url.isEmpty, "\(node.banner)")
        return node
    }

    @Test("a signature from POST /v1/sign verifies with arbor verify against the root certificate; other content fails")
    func signThenVerifyOffline() async throws {
        defer { arbor.remove() }
        let token = try initNode()
        let node = try serve()
        let content = Data("release 1.2.3\n".utf8)
        let signed = try await node.send("POST", "/v1/sign", token: token, json: ["input": content.base64EncodedString()])
        _ = node.terminate()
        #expect(signed.status == 200, "\(signed.body)")
        let signature = try #require(signed.body["signature"] as? String)
        try signature.write(toFile: arbor.path("release.sig"), atomically: true, encoding: .utf8)
        try content.write(to: URL(fileURLWithPath: arbor.path("release.txt")))

        let verified = try arbor.run(["verify", "-s", "release.sig", "--anchor", "root.cert", "release.txt", "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect((try arbor.json(verified) as? [String: Any])?["signer"] as? String == "eu/node-7")
        let changed = try arbor.run(["verify", "-s", "release.sig", "--anchor", "root.cert"], input: Data("release 1.2.4\n".utf8))
        #expect(changed.status == 3, "\(changed.stderr)")
    }

    @Test("the head from GET /v1/sys/audit/head: the log verifies against it, and fails once cut back past it")
    func publishedHeadCatchesTruncation() async throws {
        defer { arbor.remove() }
        let token = try initNode()
        // Two requests, and a head signed at shutdown over entry 2.
        var node = try serve()
        #expect(try await node.get("/v1/auth/token/lookup-self", token: token).status == 200)
        #expect(try await node.get("/v1/auth/token/lookup-self", token: token).status == 200)
        #expect(node.terminate().status == 0)
        // Restarted, the node publishes that head.
        node = try serve()
        let published = try await node.send("GET", "/v1/sys/audit/head", token: token)
        #expect(node.terminate().status == 0)
        #expect(published.status == 200, "\(published.body)")
        #expect(published.body["type"] as? String == "head" && published.body["seq"] as? Int == 2)
        try published.text.write(toFile: arbor.path("kept-head.json"), atomically: true, encoding: .utf8)

        let verify = ["audit", "verify", "data/audit.log", "--chain", "node.chain", "--anchor", "root.cert"]
        let whole = try arbor.run(verify + ["--head", "kept-head.json"])
        #expect(whole.status == 0, "\(whole.stderr)")
        // Cut back to entry 1: consistent on its own, caught against the kept head.
        let log = try String(contentsOfFile: arbor.path("data/audit.log"), encoding: .utf8)
        try (String(log.split(separator: "\n")[0]) + "\n").write(toFile: arbor.path("data/audit.log"), atomically: true, encoding: .utf8)
        #expect(try arbor.run(verify).status == 0)
        let cut = try arbor.run(verify + ["--head", "kept-head.json"])
        #expect(cut.status == 3)
        #expect(cut.stderr.contains("truncated"), "\(cut.stderr)")
    }
}

extension ServeCLITests.RunningNode {
    /// A request with an optional JSON body; the answer's status, JSON object and text.
    func send(_ method: String, _ path: String, token: String, json: [String: Any]? = nil) async throws -> (
        status: Int, body: [String: Any], text: String
    ) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.setValue(token, forHTTPHeaderField: "X-Arbor-Token")
        if let json {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
        }
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let body = (try? JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
        return (status, body, String(decoding: data, as: UTF8.self))
    }
}
