import Foundation
import Testing

/// The security review's attacks on revocation and trust, through the real executable: a thief of
/// a node key file using earlier epochs, an old bundle re-imported to lift a revocation, a renamed
/// bundle, and a partner cluster presenting one of our path names.
@Suite("arbor CLI: compromise revocation and scoped trust", .serialized)
struct RevocationTrustCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func expectRefused(
        _ outcome: ArborExecutable.Outcome, status: Int32, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    func expectSuccess(_ outcome: ArborExecutable.Outcome, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(outcome.status == 0, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    /// eu/node-7 issued by the root, a copy of its epoch-0 files kept (as a thief would), then
    /// self-rekeyed to epoch 1.
    func stolenNode() throws {
        try arbor.initRoot()
        try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        for name in ["node.key", "node.chain"] {
            try FileManager.default.copyItem(atPath: arbor.path(name), toPath: arbor.path("stolen-\(name)"))
        }
        expectSuccess(try arbor.run(["rekey", "--node", "node.key", "--chain", "node.chain"]))
    }

    @Test("revoking the current key for key-compromise also refuses the thief's epoch-0 chain, signatures and children")
    func compromiseCoversEarlierEpochs() throws {
        defer { arbor.remove() }
        try stolenNode()
        let revoked = try arbor.run([
            "revoke", "--chain", "node.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "key-compromise",
            "--list", "cluster.crl", "--json",
        ])
        expectSuccess(revoked)
        #expect((try arbor.json(revoked) as? [String: Any])?["coversBranch"] as? Bool == true)
        let check = ["--anchor", "root.cert", "--revocations", "cluster.crl"]
        expectRefused(try arbor.run(["cert", "verify", "node.chain"] + check), status: 3, mentioning: "every epoch of eu/node-7")
        // The attack: the thief presents the epoch-0 chain, signs with it, and certifies a child.
        expectRefused(try arbor.run(["cert", "verify", "stolen-node.chain"] + check), status: 3, mentioning: "revoked")
        try Data("release".utf8).write(to: URL(fileURLWithPath: arbor.path("release.tar")))
        expectSuccess(try arbor.run(["sign", "--key", "stolen-node.key", "--chain", "stolen-node.chain", "-o", "r.sig", "release.tar"]))
        expectSuccess(try arbor.run(["verify", "-s", "r.sig", "--anchor", "root.cert", "release.tar"]))
        expectRefused(try arbor.run(["verify", "-s", "r.sig", "release.tar"] + check), status: 3, mentioning: "revoked")
        expectSuccess(
            try arbor.run([
                "cert", "issue", "eu/node-7/db", "--key", "stolen-node.key", "--key-chain", "stolen-node.chain", "-o", "db.chain",
            ]))
        expectSuccess(try arbor.run(["cert", "verify", "db.chain", "--anchor", "root.cert"]))
        expectRefused(try arbor.run(["cert", "verify", "db.chain"] + check), status: 3, mentioning: "revoked")
    }

    @Test("a superseded key is that key alone; a parent-ordered rekey revokes the whole old branch by default")
    func parentOrderedRevokesBranch() throws {
        defer { arbor.remove() }
        try stolenNode()
        expectSuccess(
            try arbor.run([
                "revoke", "--chain", "node.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "superseded",
                "--list", "superseded.crl",
            ]))
        expectSuccess(try arbor.run(["cert", "verify", "stolen-node.chain", "--anchor", "root.cert", "--revocations", "superseded.crl"]))

        let moved = try arbor.run([
            "rekey", "--parent-ordered", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "moved.key",
            "--chain-out", "moved.chain", "--old-chain", "node.chain", "--list", "moved.crl", "--json",
        ])
        expectSuccess(moved)
        #expect((try arbor.json(moved) as? [String: Any])?["revocationReason"] as? String == "key-compromise")
        // A run that would fail on an existing output changes nothing, the revocation list included.
        let listBefore = try arbor.read("moved.crl")
        expectRefused(
            try arbor.run([
                "rekey", "--parent-ordered", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "moved.key",
                "--chain-out", "other.chain", "--old-chain", "node.chain", "--list", "moved.crl", "--reason", "superseded",
            ]), status: 6, mentioning: "already exists")
        #expect(try arbor.read("moved.crl") == listBefore)
        let check = ["--anchor", "root.cert", "--revocations", "moved.crl"]
        expectSuccess(try arbor.run(["cert", "verify", "moved.chain"] + check))
        expectRefused(try arbor.run(["cert", "verify", "stolen-node.chain"] + check), status: 3, mentioning: "revoked")
        expectRefused(try arbor.run(["cert", "verify", "node.chain"] + check), status: 3, mentioning: "revoked")
        // --old-chain must be the chain of the node being moved, not of another branch of it.
        expectRefused(
            try arbor.run([
                "rekey", "--parent-ordered", "eu/node-7#1", "--root", "root.key", "--passphrase-file", "pass", "-o", "again.key",
                "--chain-out", "again.chain", "--old-chain", "node.chain", "--list", "moved.crl",
            ]), status: 2, mentioning: "not of eu/node-7#1")
    }

    /// A second cluster "berlin" with a node, its bundle with and without a revocation of that node.
    func partner() throws -> (withRevocation: String, withoutRevocation: String, digits: String) {
        try arbor.initRoot()
        try arbor.initRoot("berlin.key")
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "berlin.key", "--passphrase-file", "pass", "-o", "berlin-node.chain"])
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "home-node.chain"])
        let old = try arbor.run(["trust", "export", "--root-cert", "berlin.cert", "--name", "berlin", "-o", "old.bundle", "--json"])
        expectSuccess(old)
        let digits = try #require(((try arbor.json(old) as? [String: Any])?["safetyNumber"] as? [String: Any])?["digits"] as? String)
        expectSuccess(
            try arbor.run([
                "revoke", "--chain", "berlin-node.chain", "--root", "berlin.key", "--passphrase-file", "pass", "--reason", "key-compromise",
                "--list", "berlin.crl",
            ]))
        expectSuccess(
            try arbor.run([
                "trust", "export", "--root-cert", "berlin.cert", "--name", "berlin", "--revocations", "berlin.crl", "-o", "new.bundle",
            ]))
        return ("new.bundle", "old.bundle", digits)
    }

    @Test("re-importing an older bundle never lifts a revocation carried by a newer one")
    func oldBundleKeepsRevocations() throws {
        defer { arbor.remove() }
        let bundles = try partner()
        expectSuccess(try arbor.run(["cert", "verify", "berlin-node.chain", "--anchor", "berlin.cert"]))
        let imported = try arbor.run(["trust", "import", bundles.withRevocation, "--safety-number", bundles.digits, "--json"])
        expectSuccess(imported)
        #expect((try arbor.json(imported) as? [String: Any])?["addedRevocations"] as? Int == 1)
        // Revocations carried in an imported bundle are honoured.
        expectRefused(try arbor.run(["cert", "verify", "berlin-node.chain"]), status: 3, mentioning: "revoked")
        // The attack: the old bundle, without the revocation, imported again.
        let again = try arbor.run(["trust", "import", bundles.withoutRevocation, "--safety-number", bundles.digits, "--json"])
        expectSuccess(again)
        let againJSON = try #require(try arbor.json(again) as? [String: Any])
        #expect(againJSON["newCluster"] as? Bool == false)
        #expect(againJSON["addedRevocations"] as? Int == 0)
        #expect(againJSON["revocations"] as? Int == 1)
        expectRefused(try arbor.run(["cert", "verify", "berlin-node.chain"]), status: 3, mentioning: "revoked")
    }

    @Test("a renamed bundle of a trusted root cannot pass for another cluster, and two roots never share a name")
    func renamedBundle() throws {
        defer { arbor.remove() }
        let bundles = try partner()
        expectSuccess(try arbor.run(["trust", "import", bundles.withoutRevocation, "--safety-number", bundles.digits]))
        // The same root, renamed "paris" by whoever passed it on: same safety number, refused.
        expectSuccess(try arbor.run(["trust", "export", "--root-cert", "berlin.cert", "--name", "paris", "-o", "renamed.bundle"]))
        expectRefused(
            try arbor.run(["trust", "import", "renamed.bundle", "--safety-number", bundles.digits]), status: 3,
            mentioning: "already trusted as 'berlin'")
        let listed = try #require(try arbor.json(try arbor.run(["trust", "list", "--json"])) as? [[String: Any]])
        #expect(listed.map { $0["cluster"] as? String } == ["berlin"])
        // Another root under a name in use: refused, and accepted under a name of the importer's choice.
        let homeDigits = try #require(
            ((try arbor.json(try arbor.run(["fingerprint", "root.cert", "--json"])) as? [String: Any])?["safetyNumber"] as? [String: Any])?[
                "digits"] as? String)
        expectSuccess(try arbor.run(["trust", "export", "--root-cert", "root.cert", "--name", "berlin", "-o", "home.bundle"]))
        expectRefused(
            try arbor.run(["trust", "import", "home.bundle", "--safety-number", homeDigits]), status: 3, mentioning: "another root")
        expectSuccess(try arbor.run(["trust", "import", "home.bundle", "--safety-number", homeDigits, "--name", "home"]))
        // A deliberate rename is possible, and says so.
        expectSuccess(try arbor.run(["trust", "import", "renamed.bundle", "--safety-number", bundles.digits, "--rename"]))
        let renamed = try #require(try arbor.json(try arbor.run(["trust", "list", "--json"])) as? [[String: Any]])
        #expect(Set(renamed.compactMap { $0["cluster"] as? String }) == ["paris", "home"])
    }

    @Test("a trusted partner presenting our path name is refused once the cluster or path is pinned")
    func pinnedCluster() throws {
        defer { arbor.remove() }
        let bundles = try partner()
        expectSuccess(try arbor.run(["trust", "import", bundles.withoutRevocation, "--safety-number", bundles.digits]))
        let homeDigits = try #require(
            ((try arbor.json(try arbor.run(["fingerprint", "root.cert", "--json"])) as? [String: Any])?["safetyNumber"] as? [String: Any])?[
                "digits"] as? String)
        try arbor.run(["trust", "export", "--root-cert", "root.cert", "--name", "home", "-o", "home.bundle"])
        expectSuccess(try arbor.run(["trust", "import", "home.bundle", "--safety-number", homeDigits]))

        // Unpinned, both verify, and each reports its cluster.
        let impostor = try arbor.run(["cert", "verify", "berlin-node.chain", "--json"])
        expectSuccess(impostor)
        #expect((try arbor.json(impostor) as? [String: Any])?["cluster"] as? String == "berlin")
        #expect(
            (try arbor.json(try arbor.run(["cert", "verify", "home-node.chain", "--json"])) as? [String: Any])?["cluster"] as? String
                == "home")
        // Pinned to home, by name or by root key id, the partner's eu/node-7 is refused.
        expectRefused(
            try arbor.run(["cert", "verify", "berlin-node.chain", "--cluster", "home"]), status: 3,
            mentioning: "not from the cluster expected")
        let homeRoot = try #require(
            (try arbor.json(try arbor.run(["fingerprint", "root.cert", "--json"])) as? [String: Any])?["rootKeyID"] as? String)
        expectRefused(
            try arbor.run(["cert", "verify", "berlin-node.chain", "--cluster", String(homeRoot.prefix(12))]), status: 3,
            mentioning: "not from the cluster expected")
        expectSuccess(try arbor.run(["cert", "verify", "home-node.chain", "--cluster", "home", "--path-prefix", "eu"]))
        expectRefused(
            try arbor.run(["cert", "verify", "home-node.chain", "--cluster", "home", "--path-prefix", "us"]), status: 3,
            mentioning: "not at or below the expected us")
        expectRefused(
            try arbor.run(["cert", "verify", "home-node.chain", "--cluster", "paris"]), status: 3, mentioning: "no trusted cluster")
        // The same pin applies to signatures.
        try Data("release".utf8).write(to: URL(fileURLWithPath: arbor.path("release.tar")))
        try arbor.run(["derive", "eu/node-7", "--root", "berlin.key", "--passphrase-file", "pass", "-o", "berlin-node.key"])
        expectSuccess(try arbor.run(["sign", "--key", "berlin-node.key", "--chain", "berlin-node.chain", "-o", "r.sig", "release.tar"]))
        let unpinned = try arbor.run(["verify", "-s", "r.sig", "release.tar", "--json"])
        expectSuccess(unpinned)
        #expect((try arbor.json(unpinned) as? [String: Any])?["cluster"] as? String == "berlin")
        expectRefused(try arbor.run(["verify", "-s", "r.sig", "release.tar", "--cluster", "home"]), status: 3, mentioning: "cluster")
        // And to encrypting to a node: the impostor's cluster is named, and refused once pinned.
        let toImpostor = try arbor.run(["encrypt", "--to-node", "berlin-node.chain", "-o", "x.age"], input: Data("x".utf8))
        expectSuccess(toImpostor)
        #expect(toImpostor.stderr.contains("of cluster 'berlin'"), "\(toImpostor.stderr)")
        expectRefused(
            try arbor.run(["encrypt", "--to-node", "berlin-node.chain", "--cluster", "home", "-o", "y.age"], input: Data("x".utf8)),
            status: 3, mentioning: "not from the cluster expected")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("y.age")))
        // And to origin signatures on keyring tokens: the partner's eu/node-7 cannot vouch for a token.
        try arbor.run(["keyring", "create", "ops", "--root", "berlin.key", "--passphrase-file", "pass"])
        let sealed = try arbor.run(
            ["keyring", "seal", "ops", "--origin", "eu/node-7", "--sign-with", "berlin-node.key"], input: Data("from berlin".utf8))
        expectSuccess(sealed)
        let opened = try arbor.run(["keyring", "open", "ops", "--signer-chain", "berlin-node.chain"], input: Data(sealed.stdout.utf8))
        expectSuccess(opened)
        #expect(opened.stderr.contains("of cluster 'berlin'"), "\(opened.stderr)")
        let pinned = try arbor.run(
            ["keyring", "open", "ops", "--signer-chain", "berlin-node.chain", "--cluster", "home"], input: Data(sealed.stdout.utf8))
        expectRefused(pinned, status: 3, mentioning: "not from the cluster expected")
        #expect(pinned.stdout.isEmpty)
    }
}
