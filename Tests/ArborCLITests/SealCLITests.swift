import Foundation
import Testing

/// Arbor's own stanzas through the CLI: files sealed to a mesh keyring or to a node's storage key,
/// opened by holders, ancestors and the root; `arbor inspect` on files and tokens.
@Suite("arbor encrypt/decrypt with Arbor stanzas, and inspect", .serialized)
struct SealCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func prepare() throws {
        try arbor.initRoot()
        for path in ["eu", "eu/node-7", "eu/node-8"] {
            let name = path.replacingOccurrences(of: "/", with: "_")
            #expect(try arbor.run(["derive", path, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).key"]).status == 0)
        }
        #expect(try arbor.run(["keyring", "create", "files", "--from", "eu.key"]).status == 0)
    }

    @Test("a mesh-keyring file opens on another holder; unknown epochs are named; nothing is left at -o on failure")
    func meshFiles() throws {
        defer { arbor.remove() }
        try prepare()
        let plaintext = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0) })
        try plaintext.write(to: URL(fileURLWithPath: arbor.path("data.bin")))
        try FileManager.default.copyItem(atPath: arbor.path("keyrings/files.keyring"), toPath: arbor.path("holder.keyring"))
        let sealed = try arbor.run(["encrypt", "--keyring", "files", "--origin", "eu/node-7", "-o", "data.age", "data.bin"])
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let opened = try arbor.run(["decrypt", "--keyring", "holder.keyring", "-o", "out.bin", "data.age"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: arbor.path("out.bin"))) == plaintext)

        let inspected = try arbor.run(["inspect", "data.age", "--json"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let stanzas = try #require((try arbor.json(inspected) as? [String: Any])?["stanzas"] as? [[String: Any]])
        #expect(stanzas.first?["type"] as? String == "arbor-mesh")
        #expect((stanzas.first?["provenance"] as? [String: Any])?["epoch"] as? Int == 1)

        #expect(try arbor.run(["keyring", "rotate", "files", "--from", "eu.key"]).status == 0)
        #expect(try arbor.run(["encrypt", "--keyring", "files", "-o", "new.age", "data.bin"]).status == 0)
        let unknown = try arbor.run(["decrypt", "--keyring", "holder.keyring", "-o", "fail.bin", "new.age"])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("does not hold epoch 2"))
        #expect(!FileManager.default.fileExists(atPath: arbor.path("fail.bin")))
    }

    @Test("encrypt --to-node uses the verified chain's post-quantum key; only that node's key opens it; bad chains are refused")
    func nodeRecipients() throws {
        defer { arbor.remove() }
        try prepare()
        let issue = ["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node-7.chain"]
        #expect(try arbor.run(issue).status == 0)
        let sealed = try arbor.run(
            ["encrypt", "--to-node", "node-7.chain", "--anchor", "root.cert", "-o", "to-node.age"], input: Data("for node 7".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")

        // The stanza is the standard post-quantum one, for the recipient that `cert show --recipients` prints.
        let shown = try arbor.run(["cert", "show", "node-7.chain", "--recipients", "--json"])
        let leaf = try #require((try arbor.json(shown) as? [[String: Any]])?.last)
        let recipient = try #require(leaf["ageRecipient"] as? String)
        #expect(recipient.hasPrefix("age1pq1"))
        #expect((leaf["ageRecipientX25519"] as? String)?.hasPrefix("age1") == true)
        let inspected = try arbor.run(["inspect", "to-node.age", "--json"])
        let stanzas = try #require((try arbor.json(inspected) as? [String: Any])?["stanzas"] as? [[String: Any]])
        #expect(stanzas.map { $0["type"] as? String } == ["mlkem768x25519"])
        let byString = try arbor.run(["encrypt", "-r", recipient, "-o", "by-string.age"], input: Data("same key".utf8))
        #expect(byString.status == 0, "\(byString.stderr)")

        for file in ["to-node.age", "by-string.age"] {
            let opened = try arbor.run(["decrypt", "--node-key", "eu_node-7.key", file])
            #expect(opened.status == 0, "\(file): \(opened.stderr)")
        }
        #expect(try arbor.run(["decrypt", "--node-key", "eu_node-7.key", "to-node.age"]).stdout == "for node 7")
        let sibling = try arbor.run(["decrypt", "--node-key", "eu_node-8.key", "-o", "fail.bin", "to-node.age"])
        #expect(sibling.status == 4)
        #expect(!FileManager.default.fileExists(atPath: arbor.path("fail.bin")))

        // A chain from an untrusted root, or a revoked node, gets no ciphertext.
        try arbor.initRoot("other.key")
        let untrusted = try arbor.run(
            ["encrypt", "--to-node", "node-7.chain", "--anchor", "other.cert", "-o", "no.age"], input: Data("x".utf8))
        #expect(untrusted.status == 3)
        #expect(untrusted.stderr.contains("not trusted"))
        let revoke = try arbor.run([
            "revoke", "--chain", "node-7.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "key-compromise", "--list",
            "crl",
        ])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let revoked = try arbor.run(
            ["encrypt", "--to-node", "node-7.chain", "--anchor", "root.cert", "--revocations", "crl", "-o", "no.age"], input: Data("x".utf8)
        )
        #expect(revoked.status == 3)
        #expect(revoked.stderr.contains("revoked"))
        #expect(!FileManager.default.fileExists(atPath: arbor.path("no.age")))

        // The usage gate: a valid chain whose certificate allows signing only gets no ciphertext.
        let signOnly = ["cert", "issue", "eu/node-8", "--usage", "sign", "--root", "root.key", "--passphrase-file", "pass"]
        #expect(try arbor.run(signOnly + ["-o", "node-8-sign.chain"]).status == 0)
        let refused = try arbor.run(
            ["encrypt", "--to-node", "node-8-sign.chain", "--anchor", "root.cert", "-o", "no.age"], input: Data("x".utf8))
        #expect(refused.status == 3, "\(refused.stderr)")
        #expect(refused.stderr.contains("does not allow key agreement"))
        #expect(!FileManager.default.fileExists(atPath: arbor.path("no.age")))
        // The same node with the agree usage is accepted: the refusal above is the usage's.
        #expect(try arbor.run(signOnly.map { $0 == "sign" ? "sign,agree" : $0 } + ["-o", "node-8.chain"]).status == 0)
        let accepted = try arbor.run(
            ["encrypt", "--to-node", "node-8.chain", "--anchor", "root.cert", "-o", "yes.age"], input: Data("x".utf8))
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("a node's storage-key file opens with the node, its parent and the root, not a sibling")
    func treeFiles() throws {
        defer { arbor.remove() }
        try prepare()
        let sealed = try arbor.run(["encrypt", "--tree-key", "eu_node-7.key", "-a", "-o", "node.age"], input: Data("node data".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        for identity in [
            ["--tree-key", "eu_node-7.key"], ["--tree-key", "eu.key"], ["--root", "root.key", "--root-passphrase-file", "pass"],
        ] {
            let opened = try arbor.run(["decrypt"] + identity + ["node.age"])
            #expect(opened.status == 0, "\(identity): \(opened.stderr)")
            #expect(opened.stdout == "node data")
        }
        let sibling = try arbor.run(["decrypt", "--tree-key", "eu_node-8.key", "node.age"])
        #expect(sibling.status == 4)
        #expect(sibling.stdout.isEmpty)
        let inspected = try arbor.run(["inspect", "node.age"])
        #expect(inspected.stdout.contains("arbor-tree: storage key of eu/node-7 at epoch 0"))
    }

    @Test("an arbor-tree stanza naming a huge epoch is refused at once (exit 3), not ratcheted for hours")
    func hugeTreeEpoch() throws {
        defer { arbor.remove() }
        try prepare()
        #expect(try arbor.run(["encrypt", "--tree-key", "eu_node-7.key", "-o", "node.age"], input: Data("node data".utf8)).status == 0)
        // No key is needed: rewrite the epoch argument of the stanza line; the MAC is never reached.
        let file = try Data(contentsOf: URL(fileURLWithPath: arbor.path("node.age")))
        let marker = Data("-> arbor-tree eu/node-7 0 ".utf8)
        let range = try #require(file.range(of: marker))
        for epoch in ["4294967295", "1000000"] {
            var forged = file
            forged.replaceSubrange(range, with: Data("-> arbor-tree eu/node-7 \(epoch) ".utf8))
            try forged.write(to: URL(fileURLWithPath: arbor.path("forged.age")))
            for identity in [["--tree-key", "eu_node-7.key"], ["--root", "root.key", "--root-passphrase-file", "pass"]] {
                let refused = try arbor.run(["decrypt"] + identity + ["-o", "out", "forged.age"])
                #expect(refused.status == 3, "\(identity): \(refused.stderr)")
                #expect(refused.stderr.contains("names epoch \(epoch), above the limit"), "\(refused.stderr)")
                #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
            }
        }
    }

    @Test("inspect shows a token's provenance and refuses garbage")
    func inspectToken() throws {
        defer { arbor.remove() }
        try prepare()
        let token = try arbor.run(
            ["keyring", "seal", "files", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key"], input: Data("x".utf8))
        #expect(token.status == 0, "\(token.stderr)")
        let inspected = try arbor.run(["inspect", "--json"], input: Data(token.stdout.utf8))
        #expect(inspected.status == 0, "\(inspected.stderr)")
        let summary = try #require((try arbor.json(inspected) as? [String: Any])?["token"] as? [String: Any])
        #expect(summary["signer"] as? String == "eu/node-7")
        #expect(summary["epoch"] as? Int == 1)
        let garbage = try arbor.run(["inspect"], input: Data("hello world".utf8))
        #expect(garbage.status == 5, "\(garbage.stderr)")
        #expect(garbage.stderr.hasPrefix("arbor: error: "))
    }
}
