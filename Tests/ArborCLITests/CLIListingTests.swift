import Foundation
import Testing

/// Smaller things a newcomer met (issue 10, point 10): `cert show` keeps the 2 kB age recipients
/// for `--recipients`, a revocation list can be listed, revoking twice adds one entry, and `inspect`
/// names a token's origin when the token carries it.
@Suite("arbor listings: cert show, revoke list, inspect origins", .serialized)
struct CLIListingTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    let pass = ["--passphrase-file", "pass"]

    func certify(_ path: String, to chain: String) throws {
        let issued = try arbor.run(["cert", "issue", path, "--root", "root.key", "-o", chain] + pass)
        #expect(issued.status == 0, "\(issued.stderr)")
    }

    @Test("cert show prints the age recipients only with --recipients, in text and JSON")
    func recipientsOnRequest() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try certify("eu/node-7", to: "node-7.chain")

        let plain = try arbor.run(["cert", "show", "node-7.chain"])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("eu/node-7") && !plain.stdout.contains("age1"))
        let plainJSON = try #require(try arbor.json(try arbor.run(["cert", "show", "node-7.chain", "--json"])) as? [[String: Any]])
        #expect(plainJSON.count == 3 && plainJSON.allSatisfy { $0["ageRecipient"] == nil && $0["ageRecipientX25519"] == nil })

        let asked = try arbor.run(["cert", "show", "node-7.chain", "--recipients"])
        #expect(asked.stdout.contains("age recipient age1pq1") && asked.stdout.contains("age recipient (X25519) age1"))
        let askedJSON = try #require(
            try arbor.json(try arbor.run(["cert", "show", "node-7.chain", "--recipients", "--json"])) as? [[String: Any]])
        #expect((askedJSON.last?["ageRecipient"] as? String)?.hasPrefix("age1pq1") == true)
    }

    @Test("revoke list shows a list's entries; revoking the same key twice adds one entry")
    func listAndDuplicates() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try certify("eu/node-7", to: "node-7.chain")
        try certify("eu/node-8", to: "node-8.chain")
        let revoke = ["revoke", "--root", "root.key", "--revocations", "cluster.crl"] + pass

        let first = try arbor.run(revoke + ["node-7.chain", "--reason", "key-compromise"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.contains("holds 1 entry"), "\(first.stdout)")
        let again = try arbor.run(revoke + ["node-7.chain", "--reason", "key-compromise", "--json"])
        #expect(again.status == 0, "\(again.stderr)")
        let summary = try #require(try arbor.json(again) as? [String: Any])
        #expect(summary["added"] as? Bool == false && summary["listEntries"] as? Int == 1)
        let superseded = try arbor.run(revoke + ["node-7.chain", "--reason", "superseded"])
        #expect(superseded.stdout.contains("already revoked"), "\(superseded.stdout)")
        #expect(try arbor.run(revoke + ["node-8.chain"]).stdout.contains("holds 2 entries"))

        let listed = try arbor.run(["revoke", "list", "cluster.crl"])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.hasPrefix("2 entries in cluster.crl"))
        #expect(listed.stdout.contains("eu/node-7  every epoch  key-compromise"))
        #expect(listed.stdout.contains("eu/node-8  key "))
        let entries = try #require(try arbor.json(try arbor.run(["revoke", "list", "cluster.crl", "--json"])) as? [[String: Any]])
        #expect(Set(entries.compactMap { $0["revokedPath"] as? String }) == ["eu/node-7", "eu/node-8"])
        #expect(entries.allSatisfy { $0["revokerPath"] as? String == "/" })

        try arbor.write("not a list", to: "bad.crl")
        let bad = try arbor.run(["revoke", "list", "bad.crl"])
        #expect(bad.status != 0 && bad.stderr.hasPrefix("arbor: error: "))
    }

    @Test("inspect names a signed token's origin path; an unsigned token carries only its hash")
    func tokenOrigins() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu/node-7", "--root", "root.key", "-o", "node-7.key"] + pass).status == 0)
        #expect(try arbor.run(["keyring", "create", "files", "--key", "node-7.key"]).status == 0)

        let signed = try arbor.run(
            ["keyring", "seal", "files", "--origin", "eu/node-7", "--sign-with", "node-7.key"], input: Data("x".utf8))
        #expect(signed.status == 0, "\(signed.stderr)")
        let shown = try arbor.run(["inspect"], input: Data(signed.stdout.utf8))
        #expect(shown.stdout.contains("origin eu/node-7 (id "), "\(shown.stdout)")
        #expect(shown.stdout.contains("signed by eu/node-7"))
        let json = try #require((try arbor.json(try arbor.run(["inspect", "--json"], input: Data(signed.stdout.utf8))) as? [String: Any]))
        #expect((json["token"] as? [String: Any])?["originPath"] as? String == "eu/node-7")

        let unsigned = try arbor.run(["keyring", "seal", "files", "--origin", "eu/node-7"], input: Data("x".utf8))
        let plain = try arbor.run(["inspect", unsigned.stdout.trimmingCharacters(in: .whitespacesAndNewlines)])
        #expect(plain.status == 0, "\(plain.stderr)")
        #expect(plain.stdout.contains("origin id ") && !plain.stdout.contains("eu/node-7"), "\(plain.stdout)")
    }
}
