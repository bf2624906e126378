import ArborCore
import Foundation
import Testing

/// Mesh keyrings and tokens through the real executable.
@Suite("arbor keyring CLI", .serialized)
struct KeyringCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func prepareTree() throws {
        try arbor.initRoot()
        for path in ["eu", "eu/node-7", "us/node-1"] {
            let name = path.replacingOccurrences(of: "/", with: "_")
            let derived = try arbor.run(["derive", path, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).key"])
            #expect(derived.status == 0, "\(derived.stderr)")
            let issued = try arbor.run(["cert", "issue", path, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(name).chain"])
            #expect(issued.status == 0, "\(issued.stderr)")
        }
    }

    @Test("create, seal on one node, open on another, rotate, rewrap, retire")
    func lifecycle() throws {
        defer { arbor.remove() }
        try prepareTree()
        let created = try arbor.run(["keyring", "create", "payments", "--from", "eu.key", "--json"])
        #expect(created.status == 0, "\(created.stderr)")
        let keyringPath = arbor.path("keyrings/payments.keyring")
        let mode = (try FileManager.default.attributesOfItem(atPath: keyringPath)[.posixPermissions] as? NSNumber)?.intValue
        #expect(mode == 0o600)
        // A second holder: a copy of the file, as enrollment would hand it over.
        try FileManager.default.copyItem(atPath: keyringPath, toPath: arbor.path("holder.keyring"))

        let sealed = try arbor.run(
            ["keyring", "seal", "payments", "--origin", "eu/node-7", "--context", "order-42"], input: Data("card 4111".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let token = sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(token.hasPrefix("arbor:v1:"))
        #expect(!token.contains("card"))
        let opened = try arbor.run(["keyring", "open", "holder.keyring", "--context", "order-42"], input: Data(token.utf8))
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout == "card 4111")

        let wrongContext = try arbor.run(["keyring", "open", "holder.keyring", "--context", "order-43"], input: Data(token.utf8))
        #expect(wrongContext.status == 3)
        #expect(wrongContext.stderr.hasPrefix("arbor: error: "))
        #expect(!wrongContext.stdout.contains("card"))

        // The root re-creates the keyring and rotates it.
        let rotated = try arbor.run(["keyring", "rotate", "payments", "--root", "root.key", "--passphrase-file", "pass", "--json"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let rewrapped = try arbor.run(
            ["keyring", "rewrap", "payments", "--origin", "eu/node-7", "--context", "order-42"], input: Data((token + "\n").utf8))
        #expect(rewrapped.status == 0, "\(rewrapped.stderr)")
        let newToken = rewrapped.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(newToken != token)
        #expect(!rewrapped.stdout.contains("card"))
        // The holder with only epoch 1 cannot open epoch 2.
        let unknown = try arbor.run(["keyring", "open", "holder.keyring", "--context", "order-42"], input: Data(newToken.utf8))
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("does not hold epoch 2"))

        let retired = try arbor.run(["keyring", "retire", "payments", "--below", "2"])
        #expect(retired.status == 0, "\(retired.stderr)")
        let old = try arbor.run(["keyring", "open", "payments", "--context", "order-42"], input: Data(token.utf8))
        #expect(old.status == 3)
        #expect(old.stderr.contains("retired"))
        let new = try arbor.run(["keyring", "open", "payments", "--context", "order-42"], input: Data(newToken.utf8))
        #expect(new.stdout == "card 4111")

        let shown = try arbor.run(["keyring", "show", "payments", "--json"])
        let summary = try #require(try arbor.json(shown) as? [String: Any])
        #expect(summary["activeEpoch"] as? Int == 2)
        #expect(summary["heldEpochs"] as? [Int] == [2])
    }

    @Test("origin signatures: required, verified through the signer's chain, forged ones refused")
    func signedTokens() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "ops", "--root", "root.key", "--passphrase-file", "pass"]).status == 0)
        let signed = try arbor.run(
            ["keyring", "seal", "ops", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key"], input: Data("deploy".utf8))
        #expect(signed.status == 0, "\(signed.stderr)")
        let unsigned = try arbor.run(["keyring", "seal", "ops", "--origin", "eu/node-7"], input: Data("deploy".utf8))
        let require = ["keyring", "open", "ops", "--signer-chain", "eu_node-7.chain", "--anchor", "root.cert"]
        let good = try arbor.run(require, input: Data(signed.stdout.utf8))
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout == "deploy")
        let refused = try arbor.run(require, input: Data(unsigned.stdout.utf8))
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("not signed"))
        let otherSigner = try arbor.run(
            ["keyring", "open", "ops", "--signer-chain", "us_node-1.chain", "--anchor", "root.cert"], input: Data(signed.stdout.utf8))
        #expect(otherSigner.status == 3)
        let mismatch = try arbor.run(
            ["keyring", "seal", "ops", "--origin", "us/node-1", "--sign-with", "eu_node-7.key"], input: Data("x".utf8))
        #expect(mismatch.status == 2)
    }

    @Test("bad tokens and keyring files end with one line and a non-zero status")
    func errors() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        let exists = try arbor.run(["keyring", "create", "payments", "--from", "eu.key"])
        #expect(exists.status == 6)
        // Not a token: 2 (bad input); a token cut short: 3 (truncated), as a cut ciphertext is.
        for (garbage, status) in [("", 2), ("arbor:v1:", 3), ("arbor:v1:@@@", 2), ("vault:v1:abcd", 2), ("arbor:v1:AAAA", 3)]
            as [(String, Int32)]
        {
            let outcome = try arbor.run(["keyring", "open", "payments"], input: Data(garbage.utf8))
            #expect(outcome.status == status, "'\(garbage)': \(outcome.stderr)")
            #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
        try arbor.writeSecret("not a keyring", to: "bad.keyring")
        #expect(try arbor.run(["keyring", "show", "bad.keyring"]).status == 5)
        // A keyring file others may read is refused, as ssh refuses such a private key.
        try "not a keyring".write(toFile: arbor.path("open.keyring"), atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: arbor.path("open.keyring"))
        let exposed = try arbor.run(["keyring", "show", "open.keyring"])
        #expect(exposed.status == 6)
        #expect(exposed.stderr.contains("chmod 600"), "\(exposed.stderr)")
        #expect(try arbor.run(["keyring", "show", "missing"]).status == 6)
    }

    @Test("--signer-chain refuses an agree-only chain, a revoked signer and an expired one")
    func signerChainGates() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "ops", "--root", "root.key", "--passphrase-file", "pass"]).status == 0)
        let signed = try arbor.run(
            ["keyring", "seal", "ops", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key"], input: Data("deploy".utf8))
        #expect(signed.status == 0, "\(signed.stderr)")
        // The same node certified for key agreement only: its key is the one that signed.
        let agree = try arbor.run(
            ["cert", "issue", "eu/node-7", "--usage", "agree", "--root", "root.key", "--passphrase-file", "pass", "-o", "agree.chain"])
        #expect(agree.status == 0, "\(agree.stderr)")
        let agreeOnly = try arbor.run(
            ["keyring", "open", "ops", "--signer-chain", "agree.chain", "--anchor", "root.cert"], input: Data(signed.stdout.utf8))
        #expect(agreeOnly.status == 3)
        #expect(agreeOnly.stderr.contains("may not sign"), "\(agreeOnly.stderr)")
        #expect(agreeOnly.stdout.isEmpty)

        let revoke = try arbor.run([
            "revoke", "--chain", "eu_node-7.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "key-compromise",
            "--list", "crl",
        ])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let revoked = try arbor.run(
            ["keyring", "open", "ops", "--signer-chain", "eu_node-7.chain", "--anchor", "root.cert", "--revocations", "crl"],
            input: Data(signed.stdout.utf8))
        #expect(revoked.status == 3)
        #expect(revoked.stderr.contains("revoked"), "\(revoked.stderr)")
        #expect(revoked.stdout.isEmpty)

        // A cluster made in process, whose node certificate expired yesterday.
        let root = RootKey.generate()
        let day: Int64 = 86_400
        let now = Int64(Date().timeIntervalSince1970)
        let rootCertificate = try KeyCertificate.root(
            try root.node.keySet(), validity: try .init(notBefore: now - 30 * day, notAfter: now + 30 * day))
        let issuer = try Issuer(root: root, rootCertificate: rootCertificate)
        let (secret, chain) = try issuer.certify(
            try TreePath(parsing: "eu/node-7"), usage: .all, validity: try .init(notBefore: now - 10 * day, notAfter: now - day))
        let keyring = try MeshKeyring.create(name: "expired", owner: root.node)
        let token = try keyring.seal(
            Array("late".utf8), origin: secret.path, time: now * 1000, signer: try secret.keySet())
        try arbor.writeSecret(
            MeshKeyringFile.encode(keyring).withUnsafeBytes { String(decoding: $0, as: UTF8.self) }, to: "expired.keyring")
        try chain.armored.write(toFile: arbor.path("expired.chain"), atomically: true, encoding: .utf8)
        try CertificateChain([rootCertificate]).armored.write(toFile: arbor.path("expired-root.cert"), atomically: true, encoding: .utf8)
        let anyHolder = try arbor.run(["keyring", "open", "expired.keyring"], input: Data(token.text.utf8))
        #expect(anyHolder.stdout == "late", "\(anyHolder.stderr)")
        let expired = try arbor.run(
            ["keyring", "open", "expired.keyring", "--signer-chain", "expired.chain", "--anchor", "expired-root.cert"],
            input: Data(token.text.utf8))
        #expect(expired.status == 3)
        #expect(expired.stderr.contains("expired"), "\(expired.stderr)")
        #expect(expired.stdout.isEmpty)
    }

    @Test("tokens are signed hybrid by default; an Ed25519-only token needs --accept-ed25519")
    func signatureKinds() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "ops", "--root", "root.key", "--passphrase-file", "pass"]).status == 0)
        let require = ["keyring", "open", "ops", "--context", "c", "--signer-chain", "eu_node-7.chain", "--anchor", "root.cert"]
        let hybrid = try arbor.run(
            ["keyring", "seal", "ops", "--context", "c", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key"],
            input: Data("x".utf8))
        #expect(try MeshToken(text: hybrid.stdout).signature?.kind == .hybrid)
        #expect(try arbor.run(require, input: Data(hybrid.stdout.utf8)).stdout == "x")
        let legacy = try arbor.run(
            [
                "keyring", "seal", "ops", "--context", "c", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key", "--signature",
                "ed25519",
            ],
            input: Data("x".utf8))
        #expect(try MeshToken(text: legacy.stdout).signature?.kind == .ed25519)
        let refused = try arbor.run(require, input: Data(legacy.stdout.utf8))
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("ed25519 only"), "\(refused.stderr)")
        let accepted = try arbor.run(require + ["--accept-ed25519"], input: Data(legacy.stdout.utf8))
        #expect(accepted.status == 0, "\(accepted.stderr)")
        #expect(accepted.stdout == "x")
        #expect(try arbor.run(["keyring", "seal", "ops", "--origin", "eu/node-7", "--signature", "rsa"], input: Data()).status == 2)
    }

    @Test("--replay-state refuses a token opened before, and one dated past the window")
    func replayState() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "payments", "--from", "eu.key"]).status == 0)
        let sealed = try arbor.run(["keyring", "seal", "payments", "--origin", "eu/node-7"], input: Data("once".utf8))
        let guarded = ["keyring", "open", "payments", "--replay-state", "replay.state", "--replay-window", "60"]
        let first = try arbor.run(guarded, input: Data(sealed.stdout.utf8))
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == "once")
        let mode = (try FileManager.default.attributesOfItem(atPath: arbor.path("replay.state"))[.posixPermissions] as? NSNumber)?
            .intValue
        #expect(mode == 0o600)
        let replayed = try arbor.run(guarded, input: Data(sealed.stdout.utf8))
        #expect(replayed.status == 3)
        #expect(replayed.stderr.contains("already accepted"), "\(replayed.stderr)")
        #expect(replayed.stdout.isEmpty)
        // Without the state file nothing is remembered: a token at rest opens again.
        #expect(try arbor.run(["keyring", "open", "payments"], input: Data(sealed.stdout.utf8)).stdout == "once")

        let keyring = try MeshKeyringFile.decode(
            SecretBytes(copying: try Data(contentsOf: URL(fileURLWithPath: arbor.path("keyrings/payments.keyring")))))
        let future = try keyring.seal(
            Array("later".utf8), origin: try TreePath(parsing: "eu/node-7"),
            time: Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000)
        let early = try arbor.run(guarded, input: Data(future.text.utf8))
        #expect(early.status == 3)
        #expect(early.stderr.contains("outside the replay window"), "\(early.stderr)")
        #expect(early.stdout.isEmpty)
        try "garbage".write(toFile: arbor.path("replay.state"), atomically: true, encoding: .utf8)
        #expect(try arbor.run(guarded, input: Data(sealed.stdout.utf8)).status == 5)
    }

    @Test("rewrap --attest-with keeps a verified origin and refuses an unsigned token")
    func rewrapAttested() throws {
        defer { arbor.remove() }
        try prepareTree()
        #expect(try arbor.run(["keyring", "create", "ops", "--root", "root.key", "--passphrase-file", "pass"]).status == 0)
        let signed = try arbor.run(
            ["keyring", "seal", "ops", "--origin", "eu/node-7", "--sign-with", "eu_node-7.key"], input: Data("deploy".utf8))
        let forged = try arbor.run(["keyring", "seal", "ops", "--origin", "eu/node-7"], input: Data("rm -rf".utf8))
        #expect(try arbor.run(["keyring", "rotate", "ops", "--root", "root.key", "--passphrase-file", "pass"]).status == 0)
        let attest = [
            "keyring", "rewrap", "ops", "--attest-with", "us_node-1.key", "--signer-chain", "eu_node-7.chain", "--anchor", "root.cert",
        ]
        let refused = try arbor.run(attest, input: Data(forged.stdout.utf8))
        #expect(refused.status == 3)
        #expect(refused.stderr.contains("line 1: the token is not signed"), "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        let noChain = try arbor.run(["keyring", "rewrap", "ops", "--attest-with", "us_node-1.key"], input: Data(signed.stdout.utf8))
        #expect(noChain.status == 3)
        let rewrapped = try arbor.run(attest, input: Data(signed.stdout.utf8))
        #expect(rewrapped.status == 0, "\(rewrapped.stderr)")
        let token = try MeshToken(text: rewrapped.stdout)
        #expect(token.provenance.epoch == 2)
        #expect(token.signature?.origin.description == "eu/node-7" && token.signature?.signer.description == "us/node-1")
        let both = [
            "keyring", "open", "ops", "--signer-chain", "eu_node-7.chain", "--signer-chain", "us_node-1.chain", "--anchor", "root.cert",
        ]
        #expect(try arbor.run(both, input: Data(rewrapped.stdout.utf8)).stdout == "deploy")
        let originOnly = try arbor.run(
            ["keyring", "open", "ops", "--signer-chain", "eu_node-7.chain", "--anchor", "root.cert"], input: Data(rewrapped.stdout.utf8))
        #expect(originOnly.status == 3)
        #expect(try arbor.run(["keyring", "rewrap", "ops"], input: Data(signed.stdout.utf8)).status == 2)
    }
}
