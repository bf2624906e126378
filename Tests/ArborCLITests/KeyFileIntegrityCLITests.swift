import Foundation
import Testing

/// Node key and keyring files check their own integrity (a damaged one is refused by name, exit 5,
/// never read as another key) and can be encrypted under a passphrase, as the root key is.
@Suite("arbor CLI: key file integrity and encryption", .serialized)
struct KeyFileIntegrityCLITests {
    let arbor: ArborExecutable

    init() throws {
        arbor = try ArborExecutable()
        try arbor.writeSecret("node passphrase\n", to: "node-pass")
    }

    /// The armored file's bytes, and the file rewritten from changed bytes (same label, 0600).
    func rawBytes(_ name: String) throws -> (label: String, bytes: [UInt8]) {
        let lines = try String(contentsOfFile: arbor.path(name), encoding: .utf8).split(separator: "\n")
        let label = String(lines[0].dropFirst("-----BEGIN ".count).dropLast(5))
        return (label, [UInt8](Data(base64Encoded: lines.dropFirst().dropLast().joined())!))
    }

    func writeRaw(_ bytes: [UInt8], label: String, to name: String) throws {
        let base64 = Data(bytes).base64EncodedString()
        let lines = stride(from: 0, to: base64.count, by: 64).map {
            String(base64.dropFirst($0).prefix(64))
        }
        try? FileManager.default.removeItem(atPath: arbor.path(name))
        try arbor.writeSecret((["-----BEGIN \(label)-----"] + lines + ["-----END \(label)-----"]).joined(separator: "\n") + "\n", to: name)
    }

    func mode(_ name: String) throws -> Int {
        try (FileManager.default.attributesOfItem(atPath: arbor.path(name))[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("a bit flipped anywhere in a node key file is refused by name with exit 5; the legacy version still reads")
    func damagedNodeKey() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"]).status == 0)
        #expect(try mode("eu.key") == 0o600)
        let (label, bytes) = try rawBytes("eu.key")
        let reference = try arbor.run(["derive", "eu/node-7", "--from", "eu.key", "-o", "reference.key"])
        #expect(reference.status == 0, "\(reference.stderr)")
        // The magic, the version, the path, the epoch, the secret, the checksum.
        for offset in [0, 4, 8, 12, bytes.count - 40, bytes.count - 33, bytes.count - 1] {
            var damaged = bytes
            damaged[offset] ^= 0x04
            try writeRaw(damaged, label: label, to: "damaged.key")
            let refused = try arbor.run(["derive", "eu/node-7", "--from", "damaged.key", "-o", "child-\(offset).key"])
            #expect(refused.status == 5, "offset \(offset): \(refused.stderr)")
            #expect(refused.stderr.contains("damaged.key: "), "offset \(offset): \(refused.stderr)")
            #expect(refused.stderr.contains("damaged"), "offset \(offset): \(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: arbor.path("child-\(offset).key")))
        }
        // A flip in the armored text itself (a base64 character) is refused the same way.
        var text = Array(try String(contentsOfFile: arbor.path("eu.key"), encoding: .utf8).utf8)
        text[40] ^= 0x01
        try? FileManager.default.removeItem(atPath: arbor.path("text.key"))
        try arbor.writeSecret(String(decoding: text, as: UTF8.self), to: "text.key")
        let textFlip = try arbor.run(["sign", "--key", "text.key", "--chain", "none.chain", "-o", "x.sig", "pass"])
        #expect(textFlip.status == 5 && textFlip.stderr.contains("text.key: "), "\(textFlip.stderr)")
        // Version 1 (no checksum) is still read, and derives the same children.
        let legacy = Array("ARBN".utf8) + [1] + bytes[6..<(bytes.count - 32)]
        try writeRaw(Array(legacy), label: label, to: "legacy.key")
        let fromLegacy = try arbor.run(["derive", "eu/node-7", "--from", "legacy.key", "-o", "from-legacy.key"])
        #expect(fromLegacy.status == 0, "\(fromLegacy.stderr)")
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: arbor.path("from-legacy.key")))
                == Data(contentsOf: URL(fileURLWithPath: arbor.path("reference.key"))))
    }

    @Test("a bit flipped in a keyring file is refused by name with exit 5")
    func damagedKeyring() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"]).status == 0)
        #expect(try arbor.run(["keyring", "create", "ring.keyring", "--from", "eu.key"]).status == 0)
        #expect(try mode("ring.keyring") == 0o600)
        let (label, bytes) = try rawBytes("ring.keyring")
        for offset in [0, 5, 10, bytes.count / 2, bytes.count - 40, bytes.count - 1] {
            var damaged = bytes
            damaged[offset] ^= 0x10
            try writeRaw(damaged, label: label, to: "damaged.keyring")
            let refused = try arbor.run(["keyring", "show", "damaged.keyring"])
            #expect(refused.status == 5, "offset \(offset): \(refused.stderr)")
            #expect(refused.stderr.contains("damaged.keyring: "), "offset \(offset): \(refused.stderr)")
            let sealed = try arbor.run(["keyring", "seal", "damaged.keyring", "--origin", "eu"], input: Data("x".utf8))
            #expect(sealed.status == 5 && sealed.stdout.isEmpty, "offset \(offset): \(sealed.stderr)")
        }
    }

    @Test("an encrypted node key works end to end: derive, cert issue, self-rekey, encrypt and decrypt; a wrong passphrase is exit 4")
    func encryptedNodeKey() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let derived = try arbor.run([
            "derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key", "--new-passphrase-file", "node-pass",
            "--unsafe-new-scrypt-log-n", "10",
        ])
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(try mode("eu.key") == 0o600)
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "plain.key"]).status == 0)
        // Not the plain file: the branch secret is not in it.
        #expect(try rawBytes("eu.key").bytes[5] == 1)
        #expect(try arbor.run(["cert", "issue", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.chain"]).status == 0)

        let issued = try arbor.run([
            "cert", "issue", "eu/node-7", "--key", "eu.key", "--key-chain", "eu.chain", "--passphrase-file", "node-pass", "-o",
            "node.chain",
        ])
        #expect(issued.status == 0, "\(issued.stderr)")
        let wrong = try arbor.run([
            "cert", "issue", "eu/node-8", "--key", "eu.key", "--key-chain", "eu.chain", "--passphrase-file", "wrong-pass", "-o", "x.chain",
        ])
        #expect(wrong.status == 4, "\(wrong.stderr)")
        #expect(wrong.stderr.contains("eu.key: "), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("x.chain")))
        // Without a terminal or a passphrase file the command says how to give it.
        let noTerminal = try arbor.runTool("/usr/bin/setsid", ["-w", arbor.url.path, "derive", "eu/x", "--from", "eu.key", "-o", "x.key"])
        #expect(noTerminal.status == 2 && noTerminal.stderr.contains("pass --passphrase-file FILE"), "\(noTerminal.stderr)")
        let noTerminalSign = try arbor.runTool(
            "/usr/bin/setsid", ["-w", arbor.url.path, "sign", "--key", "eu.key", "--chain", "eu.chain", "-o", "x.sig", "pass"])
        #expect(
            noTerminalSign.status == 2 && noTerminalSign.stderr.contains("pass --key-passphrase-file FILE"), "\(noTerminalSign.stderr)")

        // Encrypt to the node's storage key and open it with the encrypted key file.
        let sealed = try arbor.run(
            ["encrypt", "--tree-key", "eu.key", "--key-passphrase-file", "node-pass", "-o", "x.age"], input: Data("secret note".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let opened = try arbor.run(["decrypt", "--tree-key", "eu.key", "--key-passphrase-file", "node-pass", "x.age"])
        #expect(opened.status == 0 && opened.stdout == "secret note", "\(opened.stderr)")
        let wrongDecrypt = try arbor.run(["decrypt", "--tree-key", "eu.key", "--key-passphrase-file", "wrong-pass", "x.age"])
        #expect(wrongDecrypt.status == 4 && wrongDecrypt.stdout.isEmpty, "\(wrongDecrypt.stderr)")
        // The plain and the encrypted file hold the same key.
        #expect(try arbor.run(["decrypt", "--tree-key", "plain.key", "x.age"]).stdout == "secret note")

        // A self-rekey rewrites the key file encrypted under the same passphrase.
        let rekeyed = try arbor.run(["rekey", "--node", "eu.key", "--chain", "eu.chain", "--passphrase-file", "node-pass", "--json"])
        #expect(rekeyed.status == 0, "\(rekeyed.stderr)")
        #expect(try rawBytes("eu.key").bytes[5] == 1)
        #expect(try mode("eu.key") == 0o600)
        let afterRekey = try arbor.run([
            "cert", "issue", "eu/node-9", "--key", "eu.key", "--key-chain", "eu.chain", "--passphrase-file", "node-pass", "-o", "n9.chain",
        ])
        #expect(afterRekey.status == 0, "\(afterRekey.stderr)")
        #expect(try arbor.run(["rekey", "--node", "eu.key", "--chain", "eu.chain", "--passphrase-file", "wrong-pass"]).status == 4)
        // A self-rekey keeps the file's protection: asking it for another is refused, not ignored.
        let reprotect = try arbor.run([
            "rekey", "--key", "plain.key", "--chain", "eu.chain", "--new-passphrase-file", "node-pass", "--unsafe-new-scrypt-log-n", "10",
        ])
        #expect(reprotect.status == 2 && reprotect.stderr.contains("a self-rekey keeps the file's"), "\(reprotect.stderr)")
        #expect(try rawBytes("plain.key").bytes[5] == 0)

        // A problem with the passphrase file names that file, not the key it was meant for.
        let missing = try arbor.run(["derive", "eu/y", "--key", "eu.key", "--passphrase-file", "nope.txt", "-o", "y.key"])
        #expect(missing.status == 6 && missing.stderr.hasPrefix("arbor: error: --passphrase-file nope.txt: "), "\(missing.stderr)")
        try arbor.write("node key passphrase\n", to: "open-pass")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: arbor.path("open-pass"))
        let readable = try arbor.run(["derive", "eu/y", "--key", "eu.key", "--passphrase-file", "open-pass", "-o", "y.key"])
        #expect(readable.status == 6 && readable.stderr.hasPrefix("arbor: error: --passphrase-file open-pass: "), "\(readable.stderr)")

        // serve init opens an encrypted key with --key-passphrase-file, with no terminal.
        let initialized = try arbor.runTool(
            "/usr/bin/setsid",
            [
                "-w", arbor.url.path, "serve", "init", "--data", arbor.path("data"), "--key", "eu.key", "--chain", "eu.chain",
                "--key-passphrase-file", arbor.path("node-pass"), "--json",
            ])
        #expect(initialized.status == 0, "\(initialized.stderr)")
    }

    @Test("an encrypted keyring: created under a passphrase, sealed and opened with it, refused with another")
    func encryptedKeyring() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"]).status == 0)
        let created = try arbor.run([
            "keyring", "create", "ring.keyring", "--from", "eu.key", "--encrypt", "--new-passphrase-file", "node-pass",
            "--unsafe-new-scrypt-log-n", "10",
        ])
        #expect(created.status == 0, "\(created.stderr)")
        #expect(try mode("ring.keyring") == 0o600)
        #expect(try rawBytes("ring.keyring").bytes[5] == 1)
        let sealed = try arbor.run(
            ["keyring", "seal", "ring.keyring", "--origin", "eu", "--key-passphrase-file", "node-pass"], input: Data("card".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        let token = sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let opened = try arbor.run(["keyring", "open", "ring.keyring", "--key-passphrase-file", "node-pass"], input: Data(token.utf8))
        #expect(opened.status == 0 && opened.stdout == "card", "\(opened.stderr)")
        let wrong = try arbor.run(["keyring", "open", "ring.keyring", "--key-passphrase-file", "wrong-pass"], input: Data(token.utf8))
        #expect(wrong.status == 4 && wrong.stderr.contains("ring.keyring: "), "\(wrong.stderr)")
        // A rotation rewrites it, still encrypted.
        let rotated = try arbor.run(["keyring", "rotate", "ring.keyring", "--from", "eu.key", "--key-passphrase-file", "node-pass"])
        #expect(rotated.status == 0, "\(rotated.stderr)")
        #expect(try rawBytes("ring.keyring").bytes[5] == 1)
        #expect(try arbor.run(["keyring", "show", "ring.keyring", "--key-passphrase-file", "node-pass"]).status == 0)

        // An encrypted signer key and the encrypted keyring share one passphrase file: read twice
        // from a regular file, refused from a pipe (which the first read drained), saying why.
        #expect(
            try arbor.run([
                "derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "signer.key", "--new-passphrase-file",
                "node-pass", "--unsafe-new-scrypt-log-n", "10",
            ]).status == 0)
        let both = try arbor.run(
            ["keyring", "seal", "ring.keyring", "--origin", "eu", "--sign-with", "signer.key", "--key-passphrase-file", "node-pass"],
            input: Data("card".utf8))
        #expect(both.status == 0, "\(both.stderr)")
        let piped = try arbor.runTool(
            "/bin/bash",
            [
                "-c",
                "printf card | \"$0\" keyring seal ring.keyring --origin eu --sign-with signer.key --key-passphrase-file <(printf 'node passphrase\\n')",
                arbor.url.path,
            ])
        #expect(piped.status == 2 && piped.stderr.contains("was read already"), "\(piped.stderr)")
    }
}
