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
        for garbage in ["", "arbor:v1:", "arbor:v1:@@@", "vault:v1:abcd", "arbor:v1:AAAA"] {
            let outcome = try arbor.run(["keyring", "open", "payments"], input: Data(garbage.utf8))
            #expect(outcome.status != 0)
            #expect(outcome.stderr.split(separator: "\n").count == 1, "\(outcome.stderr)")
            #expect(outcome.stdout.isEmpty)
        }
        try "not a keyring".write(toFile: arbor.path("bad.keyring"), atomically: true, encoding: .utf8)
        #expect(try arbor.run(["keyring", "show", "bad.keyring"]).status == 5)
        #expect(try arbor.run(["keyring", "show", "missing"]).status == 6)
    }
}
