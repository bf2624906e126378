import ArborCluster
import ArborCore
import ArborTestSupport
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
#if canImport(Glibc)
    import Glibc
#endif

/// Rekey over the cluster (issue 11, points 6 and 10) through the real executable and a real etcd,
/// three nodes holding one keyring: a parent-ordered rekey moves a running node to its next branch,
/// a self-rekey asked through the API moves another to its next epoch, a node that was down
/// when its rekey was ordered carries it out when it starts again, a node killed during a keyring
/// rotation catches up with the epoch granted meanwhile, and one killed as it reads its order
/// converges on the new key at its next start. Every node keeps opening what
/// was sealed before, the others see the new keys with no manual step, and the old key's
/// revocation is published once the grace period is over.
@Suite("arbor cluster rekey", .serialized)
struct ClusterRekeyCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("parent-ordered, self and offline rekeys are carried out and accepted, and the nodes keep opening")
    func rekeysOverTheCluster() async throws {
        defer { arbor.remove() }
        guard let etcd = try await EtcdServer.startIfInstalled(for: "arbor cluster rekey") else { return }
        defer { etcd.stop() }

        try arbor.initRoot()
        let names = ["eu_node-1", "eu_node-2", "eu_node-3"]
        let tokens = try initializeNodes(["eu/node-1", "eu/node-2", "eu/node-3"], alsoDeriving: ["eu"])
        let arguments = names.enumerated().map { index, node in
            [
                "serve", "--data", node, "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:\(9201 + index)", "--etcd", etcd.clientURL,
                "--peer-address", "127.0.0.1:0",
            ]
        }
        var nodes = try names.enumerated().map { index, node in try NodeProcess(arbor, arguments[index], logs: node) }
        try await waitForMembers(["eu/node-1", "eu/node-2", "eu/node-3"], etcd)

        // eu owns a keyring, seals with it and grants it to the three nodes.
        try #require(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        let sealed = try arbor.run(["keyring", "seal", "payments", "--origin", "eu"], input: Data("card 4242".utf8))
        try #require(sealed.status == 0, "\(sealed.stderr)")
        let ciphertext = sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for path in ["eu/node-1", "eu/node-2", "eu/node-3"] {
            let granted = try arbor.run([
                "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu.key", "--chain", "eu.chain", "--to", path,
                "--etcd", etcd.clientURL,
            ])
            try #require(granted.status == 0, "\(granted.stderr)")
        }
        let opens: @Sendable (NodeProcess, String) async throws -> Bool = { node, token in
            let reply = try await node.post("/v1/keyrings/payments/decrypt", token: token, json: ["ciphertext": ciphertext])
            return reply.body["plaintext"] as? String == Data("card 4242".utf8).base64EncodedString()
        }
        for index in 0..<3 { try await waitFor("node \(index + 1) opens") { try await opens(nodes[index], tokens[index]) } }

        // A sibling may not order a rekey: refused before anything is written.
        let bySibling = try arbor.run([
            "cluster", "rekey", "eu/node-2", "--key", "eu_node-1.key", "--chain", "eu_node-1.chain", "--etcd", etcd.clientURL,
        ])
        #expect(bySibling.status == 3, "\(bySibling.stderr)")

        // Parent-ordered: eu moves eu/node-2 to eu/node-2#1; the node carries it out by itself.
        let ordered = try arbor.run([
            "cluster", "rekey", "eu/node-2", "--key", "eu.key", "--chain", "eu.chain", "--grace", "2", "--etcd", etcd.clientURL, "--json",
        ])
        try #require(ordered.status == 0, "\(ordered.stderr)")
        #expect((try arbor.json(ordered) as? [String: Any])?["newPath"] as? String == "eu/node-2#1")
        try await waitForMembers(["eu/node-1", "eu/node-2#1", "eu/node-3"], etcd)
        try await waitFor("the moved node opens again") { try await opens(nodes[1], tokens[1]) }
        try await waitFor("the old key's revocation is published after the grace period") {
            try membersReport(etcd)["revocations"] as? Int == 1
        }
        // Peers accept the new key at the handshake (the peer listener kept its port), and refuse
        // the old one now that its revocation is applied.
        let moverAddress = try ServePeerCLITests.peerAddress(printedIn: nodes[1].stdoutPath)
        let hello = try await peerClient("eu_node-3").hello(at: moverAddress, expecting: try TreePath(parsing: "eu/node-2#1"))
        #expect(hello.node == "eu/node-2#1")
        let witness = try ServePeerCLITests.peerAddress(printedIn: nodes[2].stdoutPath)
        try await waitFor("eu/node-3 refuses eu/node-2's old key") {
            do {
                _ = try await peerClient("eu_node-2").hello(at: witness)
                return false
            } catch {
                return nodes[2].stderr.contains("peer refused at the handshake")
            }
        }
        let shown = try arbor.run(["cert", "show", "eu_node-2/node.chain"])
        #expect(shown.stdout.contains("eu/node-2#1"), "\(shown.stdout) \(shown.stderr)")

        // Self-rekey through the API: eu/node-1 moves to epoch 1, and the cluster sees it.
        // Another node's token is no token here.
        #expect(try await nodes[0].post("/v1/sys/rekey", token: tokens[1]).status == 401)
        let moved = try await nodes[0].post("/v1/sys/rekey", token: tokens[0])
        #expect(moved.status == 202, "\(moved.body)")
        #expect(moved.body["epoch"] as? Int == 1)
        try await waitFor("the cluster sees eu/node-1 at epoch 1") {
            let members = try membersReport(etcd)["members"] as? [[String: Any]]
            return members?.first(where: { $0["path"] as? String == "eu/node-1" })?["epoch"] as? Int == 1
        }
        try await waitFor("the self-rekeyed node opens again") { try await opens(nodes[0], tokens[0]) }

        // eu/node-3 is down when its rekey is ordered; it carries it out when it starts again.
        nodes[2].signal(SIGTERM)
        #expect(nodes[2].waitForExit().status == 0, "\(nodes[2].stderr)")
        try await waitForMembers(["eu/node-1", "eu/node-2#1"], etcd)
        // Its member record went with its lease: the order names the chain it holds.
        let unknown = try arbor.run([
            "cluster", "rekey", "eu/node-3", "--key", "eu.key", "--chain", "eu.chain", "--etcd", etcd.clientURL,
        ])
        #expect(unknown.status != 0 && unknown.stderr.contains("--old-chain"), "\(unknown.stderr)")
        let offline = try arbor.run([
            "cluster", "rekey", "eu/node-3", "--old-chain", "eu_node-3.chain", "--key", "eu.key", "--chain", "eu.chain", "--grace", "0",
            "--etcd", etcd.clientURL,
        ])
        try #require(offline.status == 0, "\(offline.stderr)")
        nodes[2] = try NodeProcess(arbor, arguments[2], logs: "eu_node-3-again")
        try await waitForMembers(["eu/node-1", "eu/node-2#1", "eu/node-3#1"], etcd)
        try await waitFor("the node moved at its start opens") { try await opens(nodes[2], tokens[2]) }

        // A keyring rotation while a holder is down: eu/node-2#1 is killed, eu rotates payments and
        // grants the new epoch to it (its lease has not lapsed yet, so its record still names its
        // key); started again, it catches up from etcd and opens a token of the new epoch.
        nodes[1].signal(SIGKILL)
        _ = nodes[1].waitForExit()
        try #require(try arbor.run(["keyring", "rotate", "payments", "--key", "eu.key"]).status == 0)
        let regranted = try arbor.run([
            "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu.key", "--chain", "eu.chain", "--to", "eu/node-2#1",
            "--etcd", etcd.clientURL,
        ])
        try #require(regranted.status == 0, "\(regranted.stderr)")
        let epochTwo = try arbor.run(["keyring", "seal", "payments", "--origin", "eu"], input: Data("card 4343".utf8))
        try #require(epochTwo.status == 0, "\(epochTwo.stderr)")
        nodes[1] = try NodeProcess(arbor, arguments[1], logs: "eu_node-2-again")
        try await waitFor("the restarted node opens a token of the epoch granted while it was down") {
            let reply = try await nodes[1].post(
                "/v1/keyrings/payments/decrypt", token: tokens[1],
                json: ["ciphertext": epochTwo.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
            return reply.body["plaintext"] as? String == Data("card 4343".utf8).base64EncodedString()
        }

        // Killed mid-rotation: eu/node-1 dies (SIGKILL) the moment it has read its order, before or
        // during the move; started again, it converges on the new key.
        let midway = try arbor.run([
            "cluster", "rekey", "eu/node-1", "--key", "eu.key", "--chain", "eu.chain", "--grace", "0", "--etcd", etcd.clientURL,
        ])
        try #require(midway.status == 0, "\(midway.stderr)")
        try await waitFor("eu/node-1 reads its order") { nodes[0].stderr.contains("rekey ordered for this node") }
        nodes[0].signal(SIGKILL)
        _ = nodes[0].waitForExit()
        nodes[0] = try NodeProcess(arbor, arguments[0], logs: "eu_node-1-again")
        try await waitForMembers(["eu/node-1#1", "eu/node-2#1", "eu/node-3#1"], etcd)
        try await waitFor("the node killed mid-rotation opens") { try await opens(nodes[0], tokens[0]) }

        for node in nodes {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0, "\(node.stderr)")
            #expect(!node.stderr.contains("card 4242") && !node.stderr.contains("card 4343"))
            #expect(!node.stderr.contains("\"level\":\"error\""), "\(node.stderr)")
        }
    }

    @Test("a root rekey issues every member again under the new root; keyrings move to the new tree; a partner follows from etcd")
    func rootRekeyOverTheCluster() async throws {
        defer { arbor.remove() }
        guard let etcd = try await EtcdServer.startIfInstalled(for: "arbor cluster reissue") else { return }
        defer { etcd.stop() }

        try arbor.initRoot()
        let pass = ["--root", "root.key", "--passphrase-file", "pass"]
        let names = ["eu_node-1", "eu_node-2"]
        let tokens = try initializeNodes(["eu/node-1", "eu/node-2"], alsoDeriving: ["eu"])
        let nodes = try names.enumerated().map { index, node in
            try NodeProcess(
                arbor,
                ["serve", "--data", node, "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:\(9211 + index)", "--etcd", etcd.clientURL],
                logs: node)
        }
        defer { for node in nodes { node.signal(SIGKILL) } }
        try await waitForMembers(["eu/node-1", "eu/node-2"], etcd)

        // eu/node-1 owns a keyring and seals with it under the old tree.
        #expect(try await nodes[0].post("/v1/keyrings", token: tokens[0], json: ["name": "notes"]).status == 201)
        let sealed = try await nodes[0].post(
            "/v1/keyrings/notes/encrypt", token: tokens[0], json: ["plaintext": Data("old tree".utf8).base64EncodedString()])
        let ciphertext = try #require(sealed.body["ciphertext"] as? String, "\(sealed.body)")

        // eu, an operator's key, owns another keyring, seals a token file with it and grants it to eu/node-1.
        try #require(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        let paymentsToken = try arbor.run(["keyring", "seal", "payments", "--origin", "eu"], input: Data("card 4111".utf8))
        try #require(paymentsToken.status == 0, "\(paymentsToken.stderr)")
        try paymentsToken.stdout.write(toFile: arbor.path("tokens.txt"), atomically: true, encoding: .utf8)
        let granted = try arbor.run([
            "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu.key", "--chain", "eu.chain", "--to", "eu/node-1",
            "--etcd", etcd.clientURL,
        ])
        try #require(granted.status == 0, "\(granted.stderr)")

        // A partner trusts this cluster.
        try #require(try arbor.run(["trust", "export", "--anchor", "root.cert", "--name", "home", "-o", "home.bundle"]).status == 0)
        let imported = try arbor.run([
            "trust", "import", "home.bundle", "--safety-number", try safetyNumber(of: "root.cert"), "--trust-store", "partner",
        ])
        try #require(imported.status == 0, "\(imported.stderr)")

        // The root rekeys, and every member is issued again under the new root.
        try Data("another passphrase\n".utf8).write(to: URL(fileURLWithPath: arbor.path("new-pass")))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: arbor.path("new-pass"))
        let rekey = try arbor.run(
            ["root", "rekey"] + pass + ["-o", "root2.key", "--new-passphrase-file", "new-pass", "--unsafe-scrypt-log-n", "10", "--json"])
        try #require(rekey.status == 0, "\(rekey.stderr)")
        let newSafetyNumber = try #require(
            ((try arbor.json(rekey) as? [String: Any])?["safetyNumber"] as? [String: Any])?["digits"] as? String)
        let reissued = try arbor.run(
            ["cluster", "reissue"] + pass + [
                "--new-root", "root2.key", "--new-passphrase-file", "new-pass", "--transition", "root2.transition", "--etcd",
                etcd.clientURL, "--json",
            ])
        try #require(reissued.status == 0, "\(reissued.stderr)")
        #expect((try arbor.json(reissued) as? [String: Any])?["members"] as? [String] == ["eu/node-1", "eu/node-2"])

        // Both nodes join the new root's cluster, with no new enrollment.
        try await waitForMembers(["eu/node-1", "eu/node-2"], etcd, anchor: "root2.cert")
        // What the old tree sealed still opens; the keyring eu/node-1 owns has an epoch under the new tree.
        try await waitFor("eu/node-1 opens what it sealed under the old tree") {
            let reply = try await nodes[0].post("/v1/keyrings/notes/decrypt", token: tokens[0], json: ["ciphertext": ciphertext])
            return reply.body["plaintext"] as? String == Data("old tree".utf8).base64EncodedString()
        }
        #expect(try await nodes[0].get("/v1/keyrings/notes", token: tokens[0]).body["active_epoch"] as? Int == 2)
        let chain = try arbor.run(["cert", "verify", "eu_node-1/node.chain", "--anchor", "root2.cert"])
        #expect(chain.status == 0, "\(chain.stderr)")

        // eu's operator derives eu again from the new root, rotates payments into the new tree, moves
        // the token file to that epoch (the resumable rewrap job) and grants the new epoch to
        // eu/node-1 in the new root's cluster: the node opens the moved token.
        let newPass = ["--root", "root2.key", "--passphrase-file", "new-pass"]
        try #require(try arbor.run(["derive", "eu"] + newPass + ["-o", "eu2.key"]).status == 0)
        try #require(try arbor.run(["cert", "issue", "eu"] + newPass + ["-o", "eu2.chain"]).status == 0)
        let rotated = try arbor.run(["keyring", "rotate", "payments", "--key", "eu2.key"])
        try #require(rotated.status == 0, "\(rotated.stderr)")
        let rewrapped = try arbor.run(["keyring", "rewrap", "payments", "tokens.txt", "--origin", "eu", "--json"])
        try #require(rewrapped.status == 0, "\(rewrapped.stderr)")
        let movedToken = try String(contentsOfFile: arbor.path("tokens.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(movedToken != paymentsToken.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        let regranted = try arbor.run([
            "cluster", "grant", "--keyring", "keyrings/payments.keyring", "--key", "eu2.key", "--chain", "eu2.chain", "--to",
            "eu/node-1", "--etcd", etcd.clientURL,
        ])
        try #require(regranted.status == 0, "\(regranted.stderr)")
        try await waitFor("eu/node-1 opens the token moved to the new tree's epoch") {
            let reply = try await nodes[0].post("/v1/keyrings/payments/decrypt", token: tokens[0], json: ["ciphertext": movedToken])
            return reply.body["plaintext"] as? String == Data("card 4111".utf8).base64EncodedString()
        }

        // The partner reads the transition from etcd, verified against the root it trusts, and
        // follows only with the new root's safety number.
        let wrong = try arbor.run([
            "trust", "follow", "--etcd", etcd.clientURL, "--cluster", "home", "--safety-number", try safetyNumber(of: "root.cert"),
            "--trust-store", "partner",
        ])
        #expect(wrong.status == 3, "\(wrong.stderr)")
        let followed = try arbor.run([
            "trust", "follow", "--etcd", etcd.clientURL, "--cluster", "home", "--safety-number", newSafetyNumber, "--trust-store",
            "partner", "--json",
        ])
        #expect(followed.status == 0, "\(followed.stderr)")
        #expect((try arbor.json(followed) as? [String: Any])?["cluster"] as? String == "home")

        for node in nodes {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0, "\(node.stderr)")
            #expect(!node.stderr.contains("old tree") && !node.stderr.contains("card 4111"))
        }
    }

    /// A peer client with the key and chain files `name`.key and `name`.chain, trusting this root.
    private func peerClient(_ name: String) throws -> PeerClient {
        let secret = try NodeKeyFile.decode(SecretBytes(copying: try Data(contentsOf: URL(fileURLWithPath: arbor.path("\(name).key")))))
        let chain = try CertificateChain(armored: try String(contentsOfFile: arbor.path("\(name).chain"), encoding: .utf8))
        let trust = PeerTrustState(PeerTrust(anchor: try TrustAnchor(name: "home", rootCertificate: chain.root)))
        return PeerClient(tls: try PeerTLS(keys: try secret.keySet(), chain: chain, trust: trust))
    }

    /// Keys and chains from the root for `paths` and `alsoDeriving` (files named after the path,
    /// `/` as `_`), and a data directory for each of `paths`; their root tokens, in order.
    private func initializeNodes(_ paths: [String], alsoDeriving issuers: [String] = []) throws -> [String] {
        let pass = ["--root", "root.key", "--passphrase-file", "pass"]
        for path in issuers + paths {
            let name = path.replacingOccurrences(of: "/", with: "_")
            try #require(try arbor.run(["derive", path] + pass + ["-o", "\(name).key"]).status == 0)
            try #require(try arbor.run(["cert", "issue", path] + pass + ["-o", "\(name).chain"]).status == 0)
        }
        return try paths.map { path in
            let node = path.replacingOccurrences(of: "/", with: "_")
            let initialized = try arbor.run(["serve", "init", "--data", node, "--key", "\(node).key", "--chain", "\(node).chain", "--json"])
            try #require(initialized.status == 0, "\(initialized.stderr)")
            return try #require((try arbor.json(initialized) as? [String: Any])?["rootToken"] as? String)
        }
    }

    private func safetyNumber(of certificate: String) throws -> String {
        let shown = try arbor.run(["fingerprint", certificate, "--json"])
        let json = try #require(try arbor.json(shown) as? [String: Any], "\(shown.stderr)")
        return try #require((json["safetyNumber"] as? [String: Any])?["digits"] as? String)
    }

    private func membersReport(_ etcd: EtcdServer, anchor: String = "root.cert") throws -> [String: Any] {
        let listed = try arbor.run(["cluster", "members", "--etcd", etcd.clientURL, "--anchor", anchor, "--json"])
        guard listed.status == 0 else { throw ArborExecutable.SetupFailed(description: listed.stderr) }
        return try arbor.json(listed) as? [String: Any] ?? [:]
    }

    private func waitForMembers(_ paths: [String], _ etcd: EtcdServer, anchor: String = "root.cert") async throws {
        try await waitFor("the live members are \(paths)") {
            (try membersReport(etcd, anchor: anchor)["members"] as? [[String: Any]])?.map { $0["path"] as? String } == paths
        }
    }

    private func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("not reached within 60 s: \(what)")
        throw ArborExecutable.SetupFailed(description: what)
    }
}
