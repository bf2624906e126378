import Foundation
import Testing

/// `arbor root rekey` and `arbor trust follow`, through the real executable: a cluster replaces
/// its root, and a cluster that trusts it follows only after confirming the new safety number.
@Suite("arbor CLI: root rekey and trust follow", .serialized)
struct RootRekeyCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A root, a partner that trusts it, and a rekey with its transition.
    func rekeyedTrustedRoot() throws -> (oldRootID: String, newRootID: String, safetyNumber: String) {
        try arbor.initRoot()
        #expect(try arbor.run(["trust", "export", "--anchor", "root.cert", "--name", "home", "-o", "home.bundle"]).status == 0)
        let imported = try arbor.run(["trust", "import", "home.bundle", "--safety-number", try safetyNumber(of: "root.cert")])
        #expect(imported.status == 0, "stderr: \(imported.stderr)")
        try Data("another passphrase\n".utf8).write(to: URL(fileURLWithPath: arbor.path("new-pass")))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: arbor.path("new-pass"))
        let rekey = try arbor.run([
            "root", "rekey", "--root", "root.key", "--passphrase-file", "pass", "-o", "root2.key", "--new-passphrase-file", "new-pass",
            "--unsafe-scrypt-log-n", "10", "--json",
        ])
        #expect(rekey.status == 0, "stderr: \(rekey.stderr)")
        let summary = try #require(try arbor.json(rekey) as? [String: Any])
        #expect(summary["transitionFile"] as? String == "root2.transition")
        #expect(summary["certificateFile"] as? String == "root2.cert")
        let number = try #require((summary["safetyNumber"] as? [String: Any])?["digits"] as? String)
        return (try #require(summary["oldRootKeyID"] as? String), try #require(summary["rootKeyID"] as? String), number)
    }

    func safetyNumber(of certificate: String) throws -> String {
        let shown = try arbor.run(["fingerprint", certificate, "--json"])
        let json = try #require(try arbor.json(shown) as? [String: Any], "stderr: \(shown.stderr)")
        return try #require((json["safetyNumber"] as? [String: Any])?["digits"] as? String)
    }

    func trustedRoots() throws -> [String: String] {
        let listed = try #require(try arbor.json(try arbor.run(["trust", "list", "--json"])) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: listed.map { ($0["cluster"] as! String, $0["rootKeyID"] as! String) })
    }

    @Test("a partner follows the transition after confirming the new safety number; the old root is no longer trusted")
    func followAfterConfirming() throws {
        defer { arbor.remove() }
        let (oldRootID, newRootID, number) = try rekeyedTrustedRoot()
        #expect(number == (try safetyNumber(of: "root2.cert")))
        #expect(try trustedRoots() == ["home": oldRootID])

        let followed = try arbor.run(["trust", "follow", "root2.transition", "--safety-number", number, "--json"])
        #expect(followed.status == 0, "stderr: \(followed.stderr)")
        #expect((try arbor.json(followed) as? [String: Any])?["cluster"] as? String == "home")
        #expect(try trustedRoots() == ["home": newRootID])
        // The new root now anchors, the old one does not.
        try arbor.run(["cert", "issue", "eu/node-1", "--root", "root2.key", "--passphrase-file", "new-pass", "-o", "new.chain"])
        #expect(try arbor.run(["cert", "verify", "new.chain", "--cluster", "home"]).status == 0)
        try arbor.run(["cert", "issue", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "old.chain"])
        #expect(try arbor.run(["cert", "verify", "old.chain", "--cluster", "home"]).status == 3)
        // Following again: the transition starts at a root no longer trusted.
        let again = try arbor.run(["trust", "follow", "root2.transition", "--safety-number", number])
        #expect(again.status == 3)
        #expect(again.stderr.contains("does not trust"), "stderr: \(again.stderr)")
    }

    @Test("a wrong safety number, a forged or damaged transition, or one from an untrusted root changes nothing")
    func refusals() throws {
        defer { arbor.remove() }
        let (oldRootID, _, number) = try rekeyedTrustedRoot()
        let wrong = try arbor.run(["trust", "follow", "root2.transition", "--safety-number", try safetyNumber(of: "root.cert")])
        #expect(wrong.status == 3, "stderr: \(wrong.stderr)")
        #expect(wrong.stderr.contains("does not match"), "stderr: \(wrong.stderr)")
        #expect(try trustedRoots() == ["home": oldRootID])

        // A byte of the signed body changed inside the armor: the signatures no longer hold.
        let armored = try String(contentsOfFile: arbor.path("root2.transition"), encoding: .utf8)
        var lines = armored.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var line = Array(lines[3])
        line[10] = line[10] == "A" ? "B" : "A"
        lines[3] = String(line)
        try lines.joined(separator: "\n").write(toFile: arbor.path("forged.transition"), atomically: true, encoding: .utf8)
        let forged = try arbor.run(["trust", "follow", "forged.transition", "--safety-number", number])
        #expect([3, 5].contains(forged.status), "stderr: \(forged.stderr)")
        #expect(forged.stderr.hasPrefix("arbor: error: "), "stderr: \(forged.stderr)")

        try Data(armored.utf8.prefix(200)).write(to: URL(fileURLWithPath: arbor.path("cut.transition")))
        let cut = try arbor.run(["trust", "follow", "cut.transition", "--safety-number", number])
        #expect(cut.status == 5, "stderr: \(cut.stderr)")
        #expect(cut.stderr.contains("cut.transition"), "stderr: \(cut.stderr)")

        // A stranger's transition: its old root was never imported here.
        try arbor.initRoot("stranger.key")
        let stranger = try arbor.run([
            "root", "rekey", "--root", "stranger.key", "--passphrase-file", "pass", "-o", "stranger2.key", "--new-passphrase-file",
            "new-pass", "--unsafe-scrypt-log-n", "10",
        ])
        #expect(stranger.status == 0, "stderr: \(stranger.stderr)")
        let untrusted = try arbor.run([
            "trust", "follow", "stranger2.transition", "--safety-number", try safetyNumber(of: "stranger2.cert"),
        ])
        #expect(untrusted.status == 3, "stderr: \(untrusted.stderr)")
        #expect(try trustedRoots() == ["home": oldRootID])
        // Nothing is overwritten without --force, and the new key must not replace the old one in place.
        #expect(try arbor.run(["root", "rekey", "--root", "root.key", "--passphrase-file", "pass", "-o", "root2.key"]).status == 6)
        #expect(
            try arbor.run(["root", "rekey", "--root", "root.key", "--passphrase-file", "pass", "-o", "root.key", "--force"]).status == 2)
    }
}
