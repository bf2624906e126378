import Foundation
import Testing

/// Files that hold secrets, as ssh treats private keys: refused when other users may read them,
/// and read from pipes as well as files.
@Suite("arbor CLI: secret files", .serialized)
struct SecretFilesCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func chmod(_ name: String, _ mode: Int) throws {
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: arbor.path(name))
    }

    @Test("a node key, root key or passphrase file that others may read is refused, and nothing is written")
    func looseModesRefused() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.run(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        try arbor.run(["cert", "issue", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.chain"])
        try Data("x".utf8).write(to: URL(fileURLWithPath: arbor.path("file")))
        for (file, mode) in [("node.key", 0o644), ("node.key", 0o640), ("node.key", 0o602)] {
            try chmod(file, mode)
            let signed = try arbor.run(["sign", "--key", "node.key", "--chain", "node.chain", "-o", "file.sig", "file"])
            #expect(signed.status == 6, "mode \(String(mode, radix: 8)): \(signed.stderr)")
            #expect(signed.stderr.contains("chmod 600 node.key"), "\(signed.stderr)")
            #expect(!FileManager.default.fileExists(atPath: arbor.path("file.sig")))
        }
        try chmod("node.key", 0o600)
        #expect(try arbor.run(["sign", "--key", "node.key", "--chain", "node.chain", "-o", "file.sig", "file"]).status == 0)

        try chmod("root.key", 0o644)
        let derived = try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"])
        #expect(derived.status == 6, "\(derived.stderr)")
        #expect(derived.stderr.contains("other users may access it (mode 644)"), "\(derived.stderr)")
        try chmod("root.key", 0o600)
        try chmod("pass", 0o604)
        let loosePass = try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"])
        #expect(loosePass.status == 6, "\(loosePass.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("eu.key")))
    }

    @Test("a passphrase from a pipe is read as a file would be")
    func passphraseFromPipe() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let piped = try arbor.run(
            ["derive", "eu", "--root", "root.key", "--passphrase-file", "/dev/stdin", "-o", "eu.key"], input: Data("test passphrase\n".utf8)
        )
        #expect(piped.status == 0, "\(piped.stderr)")
        let wrong = try arbor.run(
            ["derive", "us", "--root", "root.key", "--passphrase-file", "/dev/stdin", "-o", "us.key"], input: Data("not it\n".utf8))
        #expect(wrong.status == 4, "\(wrong.stderr)")
    }

    @Test("a new root key needs a passphrase of at least 8 characters, as the message says")
    func shortRootPassphrase() throws {
        defer { arbor.remove() }
        try arbor.writeSecret("seven77\n", to: "short")
        let refused = try arbor.run(["root", "init", "-o", "root.key", "--passphrase-file", "short", "--unsafe-scrypt-log-n", "10"])
        #expect(refused.status == 2, "\(refused.stderr)")
        #expect(refused.stderr.contains("at least 8"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("root.key")))
        try arbor.writeSecret("eight888\n", to: "enough")
        let accepted = try arbor.run(["root", "init", "-o", "root.key", "--passphrase-file", "enough", "--unsafe-scrypt-log-n", "10"])
        #expect(accepted.status == 0, "\(accepted.stderr)")
    }

    @Test("an identity file that others may read is refused; one from age-keygen's mode 0600 is read")
    func identityFileMode() throws {
        defer { arbor.remove() }
        #expect(try arbor.run(["keygen", "--pq", "-o", "me.key"]).status == 0)
        let recipient = try arbor.run(["keygen", "-y", "me.key"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(recipient.hasPrefix("age1pq1"))
        #expect(try arbor.run(["encrypt", "-r", recipient, "-o", "x.age"], input: Data("hello".utf8)).status == 0)
        #expect(try arbor.run(["decrypt", "-i", "me.key", "x.age"]).stdout == "hello")
        try chmod("me.key", 0o644)
        let refused = try arbor.run(["decrypt", "-i", "me.key", "x.age"])
        #expect(refused.status == 6, "\(refused.stderr)")
        #expect(refused.stdout.isEmpty)
        #expect(try arbor.run(["keygen", "-y", "me.key"]).status == 6)
    }
}
