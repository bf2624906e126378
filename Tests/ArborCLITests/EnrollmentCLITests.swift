import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Enrollment end to end with the real binary: a parent (an operator with the parent key, or a
/// running parent node) issues a bundle sealed to the new node's one-time key; the new node opens
/// it once, only if its expected parent signed it, and then serves with what it was granted.
@Suite("enrollment (CLI)", .serialized)
struct EnrollmentCLITests {
    /// A root and a parent `eu` (key, chain) with a keyring `payments` it owns.
    static func parentKeys(_ arbor: ArborExecutable) throws {
        try arbor.initRoot()
        for arguments in [
            ["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"],
            ["cert", "issue", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.chain"],
            ["keyring", "create", "payments", "--key", "eu.key"],
        ] {
            let outcome = try arbor.run(arguments)
            guard outcome.status == 0 else { throw ArborExecutable.SetupFailed(description: "\(arguments): \(outcome.stderr)") }
        }
    }

    /// `arbor enroll request` in `data`: the recipient and the code, from its JSON.
    static func request(_ arbor: ArborExecutable, data: String, parent: String) throws -> (recipient: String, code: String) {
        let outcome = try arbor.run(["enroll", "request", "--data", data, "--anchor", "root.cert", "--parent", parent, "--json"])
        guard outcome.status == 0, let json = try arbor.json(outcome) as? [String: Any], let recipient = json["recipient"] as? String,
            let code = json["code"] as? String
        else { throw ArborExecutable.SetupFailed(description: "enroll request: \(outcome.stderr)") }
        return (recipient, code)
    }

    static func issue(_ arbor: ArborExecutable, data: String, code: String, output: String, issuer: [String]? = nil) throws
        -> ArborExecutable.Outcome
    {
        try arbor.run(
            ["enroll", "issue"] + (issuer ?? ["--key", "eu.key", "--chain", "eu.chain"]) + [
                "--path", "eu/node-2", "--recipients-file", "\(data)/enroll.recipient", "--code", code, "--keyring", "payments",
                "--etcd", "http://127.0.0.1:2379", "-o", output,
            ])
    }

    @Test("enroll by file: a wrong code, a tampered bundle and another parent are refused; the bundle opens once, on its node only")
    func enrollByFile() async throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        try Self.parentKeys(arbor)
        let sealed = try arbor.run(
            ["keyring", "seal", "payments", "--origin", "eu", "--context", "order-42"], input: Data("card 4111".utf8))
        try #require(sealed.status == 0, "\(sealed.stderr)")
        // The enrollment options mean nothing without --enroll.
        #expect(try arbor.run(["serve", "--data", "new", "--bundle", "node-2.age"]).status == 2)
        let (recipient, code) = try Self.request(arbor, data: "new", parent: "eu")
        #expect(recipient.hasPrefix("age1pq1"))
        #expect((try FileManager.default.attributesOfItem(atPath: arbor.path("new/enroll.key"))[.posixPermissions] as? Int) == 0o600)
        // Asked again, the node shows the same key.
        #expect(try Self.request(arbor, data: "new", parent: "eu").code == code)

        let otherCode = code == "00000-00000-00000-00000" ? "11111-11111-11111-11111" : "00000-00000-00000-00000"
        let swapped = try Self.issue(arbor, data: "new", code: otherCode, output: "bad.age")
        #expect(swapped.status == 3, "\(swapped.stderr)")
        #expect(swapped.stderr.contains("code does not match"))

        let issued = try Self.issue(arbor, data: "new", code: code, output: "node-2.age")
        try #require(issued.status == 0, "\(issued.stderr)")
        #expect(issued.stdout.contains("node eu/node-2"))
        #expect(!issued.stdout.contains("AGE-SECRET"))

        // Tampered: a byte of the payload changed.
        var bytes = try Data(contentsOf: URL(fileURLWithPath: arbor.path("node-2.age")))
        bytes[bytes.count - 40] ^= 0x01
        try bytes.write(to: URL(fileURLWithPath: arbor.path("tampered.age")))
        let tampered = try arbor.run(["enroll", "install", "--data", "new", "--bundle", "tampered.age"])
        #expect(tampered.status == 3, "\(tampered.stderr)")

        // Signed by the root, not by the parent the node expects.
        let byRoot = try Self.issue(
            arbor, data: "new", code: code, output: "root.age", issuer: ["--root", "root.key", "--passphrase-file", "pass"])
        try #require(byRoot.status == 0, "\(byRoot.stderr)")
        let wrongParent = try arbor.run(["enroll", "install", "--data", "new", "--bundle", "root.age"])
        #expect(wrongParent.status == 3)
        #expect(wrongParent.stderr.contains("not by the expected parent eu"), "\(wrongParent.stderr)")

        // Another node's one-time key cannot open it.
        _ = try Self.request(arbor, data: "other", parent: "eu")
        let elsewhere = try arbor.run(["enroll", "install", "--data", "other", "--bundle", "node-2.age"])
        #expect(elsewhere.status == 4, "\(elsewhere.stderr)")

        // The refusals left the one-time key in place; the good bundle installs, then serves.
        // The bundle names an etcd, which the node then joins: installed from a file on port 0, it must
        // say where it is reached (a node that waited on the network advertises the port it bound).
        let node = try NodeProcess(
            arbor,
            ["serve", "--enroll", "--data", "new", "--bundle", "node-2.age", "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:9"],
            logs: "node-2")
        let printed = try String(contentsOfFile: node.stdoutPath, encoding: .utf8)
        let token = try #require(printed.split(separator: "\n").first { $0.hasPrefix("Root token") }?.split(separator: " ").last)
        #expect(!FileManager.default.fileExists(atPath: arbor.path("new/enroll.key")))
        #expect(FileManager.default.fileExists(atPath: arbor.path("new/node.key")))
        let settings = try String(contentsOfFile: arbor.path("new/cluster.json"), encoding: .utf8)
        #expect(settings.contains("http://127.0.0.1:2379"))

        // The granted keyring opens the token the parent sealed.
        let opened = try await node.post(
            "/v1/keyrings/payments/decrypt", token: String(token),
            json: [
                "ciphertext": sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines),
                "context": Data("order-42".utf8).base64EncodedString(),
            ])
        #expect(opened.status == 200, "\(opened.body)")
        #expect((opened.body["plaintext"] as? String).flatMap { Data(base64Encoded: $0) } == Data("card 4111".utf8))
        node.signal(SIGTERM)
        #expect(node.waitForExit().status == 0)

        // A bundle opens once: the one-time key is gone.
        let again = try arbor.run(["serve", "--enroll", "--data", "new", "--bundle", "node-2.age", "--listen", "127.0.0.1:0"])
        #expect(again.status == 4, "\(again.stderr)")
        #expect(again.stderr.contains("no one-time enrollment key"))
    }

    @Test("enroll via a running parent node: the parent issues by its API, the bundle is pushed, the node serves")
    func enrollThroughParentNode() async throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        let parentToken = try arbor.initializeNodeData()
        let parent = try NodeProcess(arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0"], logs: "parent")
        let created = try await parent.post("/v1/keyrings", token: parentToken, json: ["name": "payments"])
        #expect(created.status == 200 || created.status == 201)
        let encrypted = try await parent.post(
            "/v1/keyrings/payments/encrypt", token: parentToken,
            json: ["plaintext": Data("card 4111".utf8).base64EncodedString(), "context": Data("order-42".utf8).base64EncodedString()])
        let ciphertext = try #require(encrypted.body["ciphertext"] as? String)

        let new = try NodeProcess(
            arbor, ["serve", "--enroll", "--data", "new", "--anchor", "root.cert", "--parent", "eu/node-1", "--listen", "127.0.0.1:0"],
            logs: "new")
        let waiting = try await new.get("/v1/sys/enroll")
        #expect(waiting.status == 200)
        let recipient = try #require(waiting.body["recipient"] as? String)
        let code = try #require(waiting.body["code"] as? String)
        #expect(try String(contentsOfFile: new.stdoutPath, encoding: .utf8).contains("Code (the parent must give the same): \(code)"))

        // A bundle from another parent (the root itself) is refused, and the node keeps waiting.
        let byRoot = try arbor.run([
            "enroll", "issue", "--root", "root.key", "--passphrase-file", "pass", "--path", "eu/node-1/new", "--recipient", recipient,
            "--code", code, "-o", "root.age",
        ])
        try #require(byRoot.status == 0, "\(byRoot.stderr)")
        let refused = try await Self.push(arbor.path("root.age"), to: new.url)
        #expect(refused.status == 400)
        #expect(refused.body.contains("not_authorised"))

        let issued = try await parent.post(
            "/v1/cluster/enrollments", token: parentToken,
            json: ["path": "eu/node-1/new", "recipient": recipient, "code": code, "keyrings": ["payments"]])
        #expect(issued.status == 200, "\(issued.body)")
        let bundle = try #require(issued.body["bundle"] as? String)
        try bundle.write(toFile: arbor.path("new.age"), atomically: true, encoding: .utf8)
        let pushed = try await Self.push(arbor.path("new.age"), to: new.url)
        #expect(pushed.status == 200, "\(pushed.body)")
        #expect(!pushed.body.contains("arb_"))

        // The node now serves on the same address, with the root token it printed.
        var token: Substring?
        let deadline = Date().addingTimeInterval(120)
        while token == nil, Date() < deadline {
            let printed = (try? String(contentsOfFile: new.stdoutPath, encoding: .utf8)) ?? ""
            token = printed.split(separator: "\n").first { $0.hasPrefix("Root token") }?.split(separator: " ").last
            if token == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let rootToken = String(try #require(token))
        var opened: NodeProcess.Reply?
        while Date() < deadline {
            if let reply = try? await new.post(
                "/v1/keyrings/payments/decrypt", token: rootToken,
                json: ["ciphertext": ciphertext, "context": Data("order-42".utf8).base64EncodedString()]), reply.status != 0
            {
                opened = reply
                break
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let reply = try #require(opened)
        #expect(reply.status == 200, "\(reply.body)")
        #expect((reply.body["plaintext"] as? String).flatMap { Data(base64Encoded: $0) } == Data("card 4111".utf8))
        for node in [new, parent] {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0)
        }
    }

    /// `curl --data-binary @FILE URL/v1/sys/enroll`: the status and the body as text.
    static func push(_ file: String, to url: String) async throws -> (status: Int, body: String) {
        var request = URLRequest(url: URL(string: url + "/v1/sys/enroll")!)
        request.httpMethod = "POST"
        request.timeoutInterval = 120
        request.httpBody = try Data(contentsOf: URL(fileURLWithPath: file))
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }
}
