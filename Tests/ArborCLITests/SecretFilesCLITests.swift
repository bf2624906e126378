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
}
