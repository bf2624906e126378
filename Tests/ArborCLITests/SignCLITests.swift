import Foundation
import Testing

@Suite("arbor sign and verify", .serialized)
struct SignCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("a node signs a file; verify names the signer; changed content, revoked and unknown signers fail")
    func signAndVerify() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"]).status == 0)
        #expect(
            try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"]).status == 0
        )
        try Data(repeating: 0x42, count: 300_000).write(to: URL(fileURLWithPath: arbor.path("release.tar")))
        let signed = try arbor.run(["sign", "--key", "node.key", "--chain", "node.chain", "-o", "release.sig", "release.tar"])
        #expect(signed.status == 0, "\(signed.stderr)")
        let described = try arbor.run(["sign", "--key", "node.key", "--chain", "node.chain", "-o", "again.sig", "release.tar", "--json"])
        let summary = try #require(try arbor.json(described) as? [String: Any])
        #expect(summary["signer"] as? String == "eu/node-7" && summary["file"] as? String == "again.sig" && summary["signature"] == nil)
        let inline = try arbor.run(
            ["sign", "--key", "node.key", "--chain", "node.chain", "--json"], input: Data(repeating: 0x42, count: 300_000))
        let armored = try #require((try arbor.json(inline) as? [String: Any])?["signature"] as? String)
        try armored.write(toFile: arbor.path("inline.sig"), atomically: true, encoding: .utf8)
        #expect(try arbor.run(["verify", "-s", "inline.sig", "--anchor", "root.cert", "release.tar"]).status == 0)
        let verified = try arbor.run(["verify", "-s", "release.sig", "--anchor", "root.cert", "release.tar", "--json"])
        #expect(verified.status == 0, "\(verified.stderr)")
        #expect((try arbor.json(verified) as? [String: Any])?["signer"] as? String == "eu/node-7")
        let fromStdin = try arbor.run(
            ["verify", "-s", "release.sig", "--anchor", "root.cert"], input: Data(repeating: 0x42, count: 300_000))
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")

        let changed = try arbor.run(["verify", "-s", "release.sig", "--anchor", "root.cert"], input: Data(repeating: 0x43, count: 300_000))
        #expect(changed.status == 3)
        #expect(changed.stderr.contains("does not match"))

        try arbor.initRoot("other.key")
        let unknown = try arbor.run(["verify", "-s", "release.sig", "--anchor", "other.cert", "release.tar"])
        #expect(unknown.status == 3)
        #expect(unknown.stderr.contains("not trusted"))

        let revoke = try arbor.run([
            "revoke", "--chain", "node.chain", "--root", "root.key", "--passphrase-file", "pass", "--reason", "key-compromise", "--list",
            "crl",
        ])
        #expect(revoke.status == 0, "\(revoke.stderr)")
        let revoked = try arbor.run(["verify", "-s", "release.sig", "--anchor", "root.cert", "--revocations", "crl", "release.tar"])
        #expect(revoked.status == 3)
        #expect(revoked.stderr.contains("revoked"))
    }
}
