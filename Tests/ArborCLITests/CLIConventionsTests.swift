import Foundation
import Testing

/// The command-line conventions users of age expect ("-" for standard input and output, any file
/// name), and the edge cases a review found: none may crash, each has a clear one-line answer.
@Suite("arbor command-line conventions", .serialized)
struct CLIConventionsTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("one-character output names are files, and '-o -' is standard output")
    func outputNames() throws {
        defer { arbor.remove() }
        let keygen = try arbor.run(["keygen", "-o", "k"])
        #expect(keygen.status == 0, "\(keygen.stderr)")
        let identity = try String(contentsOfFile: arbor.path("k"), encoding: .utf8)
        let recipient = try #require(identity.split(separator: "\n").first { $0.hasPrefix("# public key: ") }?.dropFirst(14))

        let toFile = try arbor.run(["encrypt", "-r", String(recipient), "-a", "-o", "a"], input: Data("one letter".utf8))
        #expect(toFile.status == 0, "\(toFile.stderr)")
        let decryptedToFile = try arbor.run(["decrypt", "-i", "k", "-o", "b", "a"])
        #expect(decryptedToFile.status == 0, "\(decryptedToFile.stderr)")
        #expect(try String(contentsOfFile: arbor.path("b"), encoding: .utf8) == "one letter")

        let toStdout = try arbor.run(["decrypt", "-i", "k", "-o", "-", "a"])
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == "one letter")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("-")))
        let armoredToStdout = try arbor.run(["encrypt", "-r", String(recipient), "-a", "-o", "-"], input: Data("x".utf8))
        #expect(armoredToStdout.stdout.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----"))
        let keyToStdout = try arbor.run(["keygen", "-o", "-"])
        #expect(keyToStdout.stdout.contains("AGE-SECRET-KEY-1"))

        let existing = try arbor.run(["keygen", "-o", "."])
        #expect(existing.status == 6)
        #expect(existing.stderr.contains("already exists"))
    }

    @Test("'-i -' and '-R -' read the key file from standard input, unless the data comes from there")
    func keyFilesFromStandardInput() throws {
        defer { arbor.remove() }
        #expect(try arbor.run(["keygen", "-o", "me.key"]).status == 0)
        let identity = try Data(contentsOf: URL(fileURLWithPath: arbor.path("me.key")))
        let recipients = try arbor.run(["keygen", "-y", "me.key"])
        #expect(try arbor.run(["encrypt", "-R", "-", "-o", "data.age", "me.key"], input: Data(recipients.stdout.utf8)).status == 0)
        let opened = try arbor.run(["decrypt", "-i", "-", "data.age"], input: identity)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.stdout.data(using: .utf8) == identity)

        let both = try arbor.run(["decrypt", "-i", "-"], input: identity)
        #expect(both.status == 2)
        #expect(both.stderr.contains("standard input cannot hold both"))
    }

    @Test("keyring edge cases: retire below 0 or below the minimum, another keyring's token, two tokens, a token as inspect's argument")
    func keyringEdges() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"]).status == 0)
        for name in ["payments", "audit"] { #expect(try arbor.run(["keyring", "create", name, "--from", "eu.key"]).status == 0) }
        for _ in 0..<2 { #expect(try arbor.run(["keyring", "rotate", "payments", "--from", "eu.key"]).status == 0) }

        let zero = try arbor.run(["keyring", "retire", "payments", "--below", "0"])
        #expect(zero.status == 2)
        #expect(try arbor.run(["keyring", "retire", "payments", "--below", "3"]).status == 0)
        let again = try arbor.run(["keyring", "retire", "payments", "--below", "2"])
        #expect(again.status == 0)
        #expect(again.stdout.contains("nothing to retire"))
        let shown = try arbor.run(["keyring", "show", "payments", "--json"])
        #expect((try arbor.json(shown) as? [String: Any])?["minimumEpoch"] as? Int == 3)

        let token = try arbor.run(["keyring", "seal", "payments", "--origin", "eu/node-7"], input: Data("t".utf8)).stdout
        let other = try arbor.run(["keyring", "open", "audit"], input: Data(token.utf8))
        #expect(other.status == 4)
        #expect(other.stderr.contains("another keyring"))
        let two = try arbor.run(["keyring", "open", "payments"], input: Data((token + token).utf8))
        #expect(two.status == 2)
        #expect(two.stderr.contains("more than one token"))

        let inspected = try arbor.run(["inspect", token.trimmingCharacters(in: .whitespacesAndNewlines), "--json"])
        #expect(inspected.status == 0, "\(inspected.stderr)")
        #expect(((try arbor.json(inspected) as? [String: Any])?["token"] as? [String: Any])?["epoch"] as? Int == 3)
    }
}
