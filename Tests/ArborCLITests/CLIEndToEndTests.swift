import Foundation
import Testing

/// The CLI through its real executable: the happy paths, the JSON output, and every error case
/// ending with one line on stderr and the documented exit status (2 usage/input, 3 verification,
/// 4 wrong passphrase, 5 corrupt file, 6 file problem).
@Suite("arbor CLI", .serialized)
struct CLIEndToEndTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A failure is one line, starting "arbor: error:", with no stack trace.
    func expectOneLineError(
        _ outcome: ArborExecutable.Outcome, status: Int32, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        let lines = outcome.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.hasPrefix("arbor: error: "), sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    @Test("root init writes a 0600 key and a certificate, and never overwrites")
    func rootInit() throws {
        defer { arbor.remove() }
        let created = try arbor.initRoot()
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("safety number"))
        let attributes = try FileManager.default.attributesOfItem(atPath: arbor.path("root.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        #expect(try String(contentsOfFile: arbor.path("root.key"), encoding: .utf8).hasPrefix("-----BEGIN ARBOR ROOT KEY-----"))
        #expect(FileManager.default.fileExists(atPath: arbor.path("root.cert")))
        let before = try Data(contentsOf: URL(fileURLWithPath: arbor.path("root.key")))
        expectOneLineError(
            try arbor.run(["root", "init", "-o", "root.key", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10"]),
            status: 6, mentioning: "already exists")
        #expect(try Data(contentsOf: URL(fileURLWithPath: arbor.path("root.key"))) == before)
        // The passphrase never reaches the output.
        #expect(!created.stdout.contains("test passphrase"))
    }

    @Test("derive, certify, verify, revoke: the whole life of a node key, in JSON")
    func lifecycle() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let derived = try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key", "--json"])
        #expect(derived.status == 0, "\(derived.stderr)")
        let derivedJSON = try #require(try arbor.json(derived) as? [String: Any])
        let keyID = try #require(derivedJSON["keyID"] as? String)
        let attributes = try FileManager.default.attributesOfItem(atPath: arbor.path("node.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        // Derivation is deterministic: the same path from the root gives the same key.
        let again = try arbor.run([
            "derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node-again.key", "--json",
        ])
        #expect((try arbor.json(again) as? [String: Any])?["keyID"] as? String == keyID)

        let issued = try arbor.run([
            "cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain", "--json",
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        #expect((try arbor.json(issued) as? [String: Any])?["keyID"] as? String == keyID)

        let verified = try arbor.run(["cert", "verify", "node.chain", "--anchor", "root.cert", "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect((try arbor.json(verified) as? [String: Any])?["valid"] as? Bool == true)

        let shown = try arbor.run(["cert", "show", "node.chain"])
        #expect(shown.status == 0)
        #expect(shown.stdout.contains("eu/node-7"))
        #expect(shown.stdout.contains(keyID))

        let revoked = try arbor.run([
            "revoke", "--chain", "node.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "key-compromise", "--list",
            "cluster.crl",
        ])
        #expect(revoked.status == 0, "\(revoked.stderr)")
        expectOneLineError(
            try arbor.run(["cert", "verify", "node.chain", "--anchor", "root.cert", "--revocations", "cluster.crl"]), status: 3,
            mentioning: "revoked")

        // A sibling is unaffected, and a node derived by the region verifies as the root's.
        try arbor.run(["derive", "us", "--root", "root.key", "--passphrase-file", "pass", "-o", "us.key"])
        try arbor.run(["cert", "issue", "us", "--root", "root.key", "--passphrase-file", "pass", "-o", "us.chain"])
        let child = try arbor.run(["cert", "issue", "us/node-1", "--key", "us.key", "--key-chain", "us.chain", "-o", "us-node-1.chain"])
        #expect(child.status == 0, "\(child.stderr)")
        #expect(try arbor.run(["cert", "verify", "us-node-1.chain", "--anchor", "root.cert", "--revocations", "cluster.crl"]).status == 0)
        let fromRegion = try arbor.run(["derive", "us/node-1", "--from", "us.key", "-o", "n1.key", "--json"])
        let fromRoot = try arbor.run([
            "derive", "us/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "n1-root.key", "--json",
        ])
        #expect((try arbor.json(fromRegion) as? [String: Any])?["keyID"] as? String != nil)
        #expect(
            (try arbor.json(fromRegion) as? [String: Any])?["keyID"] as? String == (try arbor.json(fromRoot) as? [String: Any])?["keyID"]
                as? String)
        // A child cannot derive upward.
        expectOneLineError(try arbor.run(["derive", "us", "--from", "n1.key", "-o", "up.key"]), status: 2, mentioning: "not below")
    }

    @Test("self-rekey and parent-ordered rekey keep chains verifiable")
    func rekey() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        try FileManager.default.copyItem(atPath: arbor.path("node.chain"), toPath: arbor.path("old.chain"))
        let selfRekey = try arbor.run(["rekey", "--node", "node.key", "--chain", "node.chain", "--json"])
        #expect(selfRekey.status == 0, "\(selfRekey.stderr)")
        #expect((try arbor.json(selfRekey) as? [String: Any])?["epoch"] as? Int == 1)
        #expect(try arbor.run(["cert", "verify", "node.chain", "--anchor", "root.cert"]).status == 0)
        // The rekeyed key file still matches its chain: a second self-rekey goes on to epoch 2.
        #expect(try arbor.run(["rekey", "--node", "node.key", "--chain", "node.chain"]).status == 0)
        // A stale chain with the new key is refused.
        expectOneLineError(try arbor.run(["rekey", "--node", "node.key", "--chain", "old.chain"]), status: 2, mentioning: "chain")

        let moved = try arbor.run([
            "rekey", "--parent-ordered", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass",
            "-o", "moved.key", "--chain-out", "moved.chain", "--old-chain", "old.chain", "--list", "cluster.crl", "--json",
        ])
        #expect(moved.status == 0, "\(moved.stderr)")
        #expect((try arbor.json(moved) as? [String: Any])?["path"] as? String == "eu/node-7#1")
        #expect(try arbor.run(["cert", "verify", "moved.chain", "--anchor", "root.cert", "--revocations", "cluster.crl"]).status == 0)
        expectOneLineError(
            try arbor.run(["cert", "verify", "old.chain", "--anchor", "root.cert", "--revocations", "cluster.crl"]), status: 3,
            mentioning: "key-compromise")
        // The old branch is revoked as a whole: a chain re-issued at its current epoch too.
        try arbor.run([
            "cert", "issue", "eu/node-7", "--epoch", "2", "--root", "root.key", "--passphrase-file", "pass", "-o", "short.chain",
        ])
        expectOneLineError(
            try arbor.run(["cert", "verify", "short.chain", "--anchor", "root.cert", "--revocations", "cluster.crl"]), status: 3,
            mentioning: "every epoch of eu/node-7")
    }

    @Test("trust export, import after the safety number matches, list, and foreign verification")
    func trust() throws {
        defer { arbor.remove() }
        try arbor.initRoot("home.key")
        try arbor.initRoot("foreign.key")
        try arbor.run(["cert", "issue", "berlin/node-1", "--root", "foreign.key", "--passphrase-file", "pass", "-o", "foreign.chain"])
        expectOneLineError(
            try arbor.run(["cert", "verify", "foreign.chain", "--anchor", "home.cert"]), status: 3, mentioning: "not trusted")

        let exported = try arbor.run([
            "trust", "export", "--root-cert", "foreign.cert", "--name", "berlin", "-o", "berlin.bundle", "--json",
        ])
        #expect(exported.status == 0, "\(exported.stderr)")
        let fingerprint = try arbor.run(["fingerprint", "foreign.cert", "--json"])
        let exportedNumber = (try arbor.json(exported) as? [String: Any])?["safetyNumber"] as? [String: Any]
        let fingerprintNumber = (try arbor.json(fingerprint) as? [String: Any])?["safetyNumber"] as? [String: Any]
        let digits = try #require(exportedNumber?["digits"] as? String)
        #expect(fingerprintNumber?["digits"] as? String == digits)
        #expect(try arbor.run(["fingerprint", "berlin.bundle"]).stdout.contains(String(digits.prefix(11))))

        let homeDigits =
            try #require(
                (try arbor.json(try arbor.run(["fingerprint", "home.cert", "--json"])) as? [String: Any])?["safetyNumber"] as? [String: Any]
            )["digits"] as? String
        expectOneLineError(
            try arbor.run(["trust", "import", "berlin.bundle", "--safety-number", homeDigits ?? ""]), status: 3,
            mentioning: "does not match")
        expectOneLineError(try arbor.run(["trust", "import", "berlin.bundle"]), status: 2, mentioning: "--safety-number")
        #expect(try arbor.run(["trust", "list"]).stdout.contains("no trusted clusters"))

        let words = try #require(exportedNumber?["words"] as? [String]).joined(separator: " ")
        let imported = try arbor.run(["trust", "import", "berlin.bundle", "--safety-number", words])
        #expect(imported.status == 0, "\(imported.stderr)")
        let listed = try arbor.run(["trust", "list", "--json"])
        #expect((try arbor.json(listed) as? [[String: Any]])?.first?["cluster"] as? String == "berlin")
        let verified = try arbor.run(["cert", "verify", "foreign.chain"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect(verified.stdout.contains("cluster 'berlin'"))
        // --anchor trusts that root alone: the trust store's clusters do not count then.
        expectOneLineError(
            try arbor.run(["cert", "verify", "foreign.chain", "--anchor", "home.cert"]), status: 3, mentioning: "not trusted")
    }

    @Test("bad input ends with one line and the right exit status")
    func errors() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        expectOneLineError(
            try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "wrong-pass", "-o", "x.key"]), status: 4,
            mentioning: "passphrase")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("x.key")))

        var bytes = try String(contentsOfFile: arbor.path("root.key"), encoding: .utf8)
        let truncated = String(bytes.prefix(120))
        try arbor.writeSecret(truncated, to: "truncated.key")
        expectOneLineError(
            try arbor.run(["derive", "eu", "--root", "truncated.key", "--passphrase-file", "pass", "-o", "x.key"]), status: 5,
            mentioning: "root key file")
        let index = bytes.index(bytes.startIndex, offsetBy: 60)
        bytes.replaceSubrange(index...index, with: bytes[index] == "A" ? "B" : "A")
        try arbor.writeSecret(bytes, to: "corrupt.key")
        expectOneLineError(
            try arbor.run(["derive", "eu", "--root", "corrupt.key", "--passphrase-file", "pass", "-o", "x.key"]), status: 5,
            mentioning: "damaged")

        expectOneLineError(
            try arbor.run(["derive", "EU//x", "--root", "root.key", "--passphrase-file", "pass", "-o", "x.key"]), status: 2,
            mentioning: "may use only")
        expectOneLineError(
            try arbor.run(["derive", "eu", "--root", "missing.key", "--passphrase-file", "pass", "-o", "x.key"]), status: 6,
            mentioning: "does not exist")
        expectOneLineError(
            try arbor.run(["cert", "verify", "node.chain", "--anchor", "root.cert", "--at", "2099-01-01T00:00:00Z"]), status: 3,
            mentioning: "expired")
        // A file of another kind where a chain is expected cannot be read as one: exit 5, named.
        expectOneLineError(
            try arbor.run(["cert", "verify", "root.key", "--anchor", "root.cert"]), status: 5,
            mentioning: "root.key: this file holds an ARBOR ROOT KEY")
        expectOneLineError(
            try arbor.run(["cert", "verify", "node.chain", "--anchor", "root.cert", "--at", "yesterday"]), status: 2,
            mentioning: "not a time")

        var chain = try String(contentsOfFile: arbor.path("node.chain"), encoding: .utf8)
        chain.removeLast(80)
        try chain.write(toFile: arbor.path("cut.chain"), atomically: true, encoding: .utf8)
        expectOneLineError(try arbor.run(["cert", "verify", "cut.chain", "--anchor", "root.cert"]), status: 5, mentioning: "truncated")
        expectOneLineError(
            try arbor.run([
                "revoke", "--key-id", "abcd", "--path", "eu", "--root", "root.key", "--passphrase-file", "pass", "--list", "l.crl",
            ]), status: 2, mentioning: "64 hex digits")

        expectOneLineError(try arbor.run(["derive", "eu", "-o", "x.key"]), status: 2, mentioning: "--root ROOT.key or --key")
        let missingArgument = try arbor.run(["derive", "eu"])
        // Argument parser's usage error: one line saying why, one naming the help, status 2 (not its 64).
        #expect(missingArgument.status == 2)
        #expect(missingArgument.stderr.hasPrefix("arbor: error: "), "\(missingArgument.stderr)")
        #expect(missingArgument.stderr.hasSuffix("\nsee 'arbor derive --help'\n"), "\(missingArgument.stderr)")
        #expect(missingArgument.stderr.split(separator: "\n").count == 2)
        #expect(!missingArgument.stderr.contains("Fatal error"))
    }

    @Test("--help describes every command")
    func help() throws {
        defer { arbor.remove() }
        let help = try arbor.run(["--help"])
        #expect(help.status == 0)
        for command in ["root", "derive", "cert", "revoke", "rekey", "trust", "fingerprint", "demo"] {
            #expect(help.stdout.contains(command))
        }
        for command in [["root", "init"], ["cert", "issue"], ["cert", "verify"], ["cert", "show"], ["trust", "import"], ["rekey"]] {
            let outcome = try arbor.run(command + ["--help"])
            #expect(outcome.status == 0)
            #expect(outcome.stdout.contains("USAGE"))
        }
    }

    @Test("demo runs the whole story and succeeds")
    func demo() throws {
        defer { arbor.remove() }
        let outcome = try arbor.run(["demo", "--json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let steps = try #require(try arbor.json(outcome) as? [[String: Any]])
        #expect(steps.count == 8)
        #expect(steps.allSatisfy { $0["ok"] as? Bool == true })
        #expect(steps.contains { ($0["detail"] as? String)?.contains("refused as expected") == true })
    }
}
