import ArborTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// `arbor serve --etcd` through the real executable, with a real etcd: two nodes join and see each
/// other in their health, `arbor cluster members` lists them verified, `arbor cluster grant`
/// hands a keyring to one of them, which then opens a token sealed by another holder, and keeps
/// doing so, reporting stale, once etcd is stopped.
@Suite("arbor serve --etcd", .serialized)
struct ServeClusterCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("two nodes join, a grant reaches one, which opens what another holder sealed, also with etcd stopped")
    func joinGrantAndOpen() async throws {
        defer { arbor.remove() }
        guard let etcd = try await EtcdServer.startIfInstalled(for: "arbor serve --etcd") else { return }
        defer { etcd.stop() }

        try arbor.initRoot()
        let pass = ["--root", "root.key", "--passphrase-file", "pass"]
        for path in ["eu", "eu/node-1", "eu/node-2"] {
            let name = path.replacingOccurrences(of: "/", with: "_")
            try #require(try arbor.run(["derive", path] + pass + ["-o", "\(name).key"]).status == 0)
            try #require(try arbor.run(["cert", "issue", path] + pass + ["-o", "\(name).chain"]).status == 0)
        }
        let tokens = try ["eu_node-1", "eu_node-2"].map { node in
            let initialized = try arbor.run(["serve", "init", "--data", node, "--key", "\(node).key", "--chain", "\(node).chain", "--json"])
            try #require(initialized.status == 0, "\(initialized.stderr)")
            return try #require((try arbor.json(initialized) as? [String: Any])?["rootToken"] as? String)
        }
        let nodes = try ["eu_node-1", "eu_node-2"].enumerated().map { index, node in
            try NodeProcess(
                arbor,
                ["serve", "--data", node, "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:\(9101 + index)", "--etcd", etcd.clientURL],
                logs: node)
        }
        for node in nodes {
            try await waitFor("\(node.url) sees both members") {
                let cluster = try await node.get("/v1/sys/health").body["cluster"] as? [String: Any]
                return cluster?["members"] as? Int == 2 && cluster?["state"] as? String == "synced"
            }
        }

        let members = try arbor.run(["cluster", "members", "--etcd", etcd.clientURL, "--anchor", "root.cert", "--json"])
        try #require(members.status == 0, "\(members.stderr)")
        let listed = try #require((try arbor.json(members) as? [String: Any])?["members"] as? [[String: Any]])
        #expect(listed.map { $0["path"] as? String } == ["eu/node-1", "eu/node-2"])
        #expect(listed.map { $0["addresses"] as? [String] } == [["127.0.0.1:9101"], ["127.0.0.1:9102"]])

        // The keyring's owner (eu) seals a token, and grants the keyring to eu/node-2 through etcd.
        try #require(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        let sealed = try arbor.run(["keyring", "seal", "payments", "--origin", "eu"], input: Data("card 4242".utf8))
        try #require(sealed.status == 0, "\(sealed.stderr)")
        let token = sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let granted = try arbor.run([
            "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu.key", "--chain", "eu.chain", "--to", "eu/node-2",
            "--etcd", etcd.clientURL,
        ])
        try #require(granted.status == 0, "\(granted.stderr)")
        #expect(granted.stdout.contains("Granted keyring 'payments' of eu (epochs 1) to eu/node-2."), "\(granted.stdout)")

        let decrypt: @Sendable () async throws -> NodeProcess.Reply = {
            try await nodes[1].post("/v1/keyrings/payments/decrypt", token: tokens[1], json: ["ciphertext": token])
        }
        try await waitFor("eu/node-2 opens the token") { try await decrypt().status == 200 }
        #expect(try await decrypt().body["plaintext"] as? String == Data("card 4242".utf8).base64EncodedString())
        // eu/node-1 was granted nothing.
        #expect(try await nodes[0].post("/v1/keyrings/payments/decrypt", token: tokens[0], json: ["ciphertext": token]).status == 404)

        // eu revokes eu/node-1 for the whole cluster: eu/node-2 no longer counts it as a member. Only
        // an ancestor may: eu/node-2 revoking its sibling is refused before anything is written.
        let bySibling = try arbor.run([
            "cluster", "revoke", "eu_node-1.chain", "--key", "eu_node-2.key", "--chain", "eu_node-2.chain", "--etcd", etcd.clientURL,
        ])
        #expect(bySibling.status == 3, "\(bySibling.stderr)")
        let revoked = try arbor.run([
            "cluster", "revoke", "eu_node-1.chain", "--key", "eu.key", "--chain", "eu.chain", "--reason", "key-compromise", "--etcd",
            etcd.clientURL, "--revocations", "cluster.crl", "--json",
        ])
        try #require(revoked.status == 0, "\(revoked.stderr)")
        // A copy kept away from etcd, for the operator's later reads.
        let kept = try arbor.run(["revoke", "list", "cluster.crl", "--json"])
        #expect(kept.status == 0 && kept.stdout.contains("eu/node-1"), "\(kept.stdout) \(kept.stderr)")
        #expect((try arbor.json(revoked) as? [String: Any])?["revokedPath"] as? String == "eu/node-1")
        try await waitFor("eu/node-2 drops the revoked eu/node-1") {
            (try await nodes[1].get("/v1/sys/health").body["cluster"] as? [String: Any])?["members"] as? Int == 1
        }
        let remaining = try arbor.run(["cluster", "members", "--etcd", etcd.clientURL, "--anchor", "root.cert", "--json"])
        #expect(
            ((try arbor.json(remaining) as? [String: Any])?["members"] as? [[String: Any]])?.map { $0["path"] as? String } == ["eu/node-2"])

        // etcd stops: the node keeps opening with what it holds and says it is stale.
        etcd.stop()
        try await waitFor("eu/node-2 reports stale") {
            (try await nodes[1].get("/v1/sys/health").body["cluster"] as? [String: Any])?["state"] as? String == "stale"
        }
        #expect(try await decrypt().status == 200)

        for node in nodes {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0, "\(node.stderr)")
            #expect(!node.stderr.contains("card 4242"))
        }
    }

    private func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        Issue.record("not reached within 60 s: \(what)")
        throw ArborExecutable.SetupFailed(description: what)
    }
}
