import ArborOperations
import Foundation
import Testing

/// How the CLI fails (issue 10, points 1, 5, 6 and 10): a damaged file of each kind exits with the
/// status of what happened (5 corrupt or truncated, 3 tampered, 6 missing) in one line that names
/// the file with the option that named it; `--json` adds the error object on stdout; usage errors
/// are one line and status 2.
@Suite("arbor errors", .serialized)
struct ErrorReportingCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// One way to damage a file.
    enum Damage: Sendable, CustomStringConvertible {
        /// The armored text without its last `count` characters (the END line goes first).
        case cutText(Int)
        /// Text that is no Arbor file at all.
        case replacedBy(String)
        /// The binary file without its last `count` bytes.
        case cutBytes(Int)
        /// One bit of the byte `offset` bytes before the end flipped.
        case flipFromEnd(Int)

        var description: String {
            switch self {
            case .cutText(let count): "cut \(count) characters"
            case .replacedBy: "replaced by text"
            case .cutBytes(let count): "cut \(count) bytes"
            case .flipFromEnd(let offset): "bit flipped \(offset) bytes from the end"
            }
        }

        func apply(to bytes: [UInt8]) -> [UInt8] {
            switch self {
            case .cutText(let count), .cutBytes(let count): Array(bytes.dropLast(count))
            case .replacedBy(let text): Array(text.utf8)
            case .flipFromEnd(let offset):
                bytes.enumerated().map { $0.offset == bytes.count - offset ? $0.element ^ 0x04 : $0.element }
            }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        /// The good file the damaged one is made from.
        let source: String
        let damage: Damage
        /// The command, with `BAD` where the damaged file goes.
        let command: [String]
        let status: Int32
        /// What the one-line message must start with after "arbor: error: " (`BAD` as above).
        let label: String
        let mentioning: String

        var description: String { "\(source) \(damage): \(command.joined(separator: " "))" }
    }

    static let cases: [Case] = [
        // Certificate chains and root certificates, as an argument and as an option.
        Case(
            source: "node.chain", damage: .cutText(40), command: ["cert", "verify", "BAD", "--anchor", "root.cert"], status: 5,
            label: "BAD: ", mentioning: "the armored ARBOR CERTIFICATE CHAIN is truncated"),
        Case(
            source: "root.cert", damage: .cutText(40), command: ["cert", "verify", "node.chain", "--anchor", "BAD"], status: 5,
            label: "--anchor BAD: ", mentioning: "the armored ARBOR CERTIFICATE CHAIN is truncated"),
        Case(
            source: "root.cert", damage: .replacedBy("hello\n"), command: ["cert", "verify", "node.chain", "--anchor", "BAD"],
            status: 5, label: "--anchor BAD: ", mentioning: "expected an armored ARBOR CERTIFICATE CHAIN"),
        Case(
            source: "node.chain", damage: .cutText(40), command: ["cert", "show", "BAD"], status: 5, label: "BAD: ",
            mentioning: "truncated"),
        // A revocation list, a signature, a trust bundle.
        Case(
            source: "l.crl", damage: .cutText(40),
            command: ["cert", "verify", "node.chain", "--anchor", "root.cert", "--revocations", "BAD"], status: 5,
            label: "--revocations BAD: ", mentioning: "the armored ARBOR REVOCATION LIST is truncated"),
        Case(
            source: "l.crl", damage: .replacedBy("-----BEGIN ARBOR REVOCATION LIST-----\nAAAA\n-----END ARBOR REVOCATION LIST-----\n"),
            command: ["revoke", "--chain", "node.chain", "--root", "root.key", "--passphrase-file", "pass", "--list", "BAD"], status: 5,
            label: "--list BAD: ", mentioning: "revocation list"),
        Case(
            source: "r.sig", damage: .cutText(40), command: ["verify", "-s", "BAD", "--anchor", "root.cert", "release.tar"],
            status: 5, label: "-s BAD: ", mentioning: "the armored ARBOR SIGNATURE is truncated"),
        Case(
            source: "b.bundle", damage: .cutText(40), command: ["fingerprint", "BAD"], status: 5, label: "BAD: ",
            mentioning: "truncated"),
        Case(
            source: "b.bundle", damage: .cutText(40), command: ["trust", "import", "BAD", "--safety-number", "1"], status: 5,
            label: "BAD: ", mentioning: "the armored ARBOR TRUST BUNDLE is truncated"),
        // Key files.
        Case(
            source: "node.key", damage: .cutText(40),
            command: ["sign", "--key", "BAD", "--chain", "node.chain", "-o", "x.sig", "release.tar"], status: 5,
            label: "--key BAD: ", mentioning: "node key file"),
        Case(
            source: "root.key", damage: .cutText(40),
            command: ["derive", "eu/x", "--root", "BAD", "--passphrase-file", "pass", "-o", "x.key"], status: 5,
            label: "--root BAD: ", mentioning: "root key file"),
        Case(
            source: "id.txt", damage: .replacedBy("AGE-SECRET-KEY-1NOTAKEY\n"), command: ["decrypt", "-i", "BAD", "plain.age"],
            status: 5, label: "-i BAD: ", mentioning: "line 1: the identity"),
        // age files: cut where a tag should be (truncated, 5); a chunk that fails its tag (tampered, 3).
        Case(
            source: "plain.age", damage: .cutBytes(20), command: ["decrypt", "-i", "id.txt", "-o", "out", "BAD"], status: 5,
            label: "BAD: ", mentioning: "truncated"),
        Case(
            source: "plain.age", damage: .flipFromEnd(3), command: ["decrypt", "-i", "id.txt", "-o", "out", "BAD"], status: 3,
            label: "BAD: ", mentioning: "authenticate"),
        Case(
            source: "plain.age.asc", damage: .cutText(30), command: ["decrypt", "-i", "id.txt", "-o", "out", "BAD"], status: 5,
            label: "BAD: ", mentioning: "armor"),
        // Missing: a file problem, named the same way.
        Case(
            source: "", damage: .cutBytes(0), command: ["cert", "verify", "node.chain", "--anchor", "BAD"], status: 6,
            label: "--anchor BAD: ", mentioning: "the file does not exist"),
    ]

    /// A root, a node key and its chain, a revocation list, a signature, a trust bundle, an age
    /// identity and files encrypted to it.
    func makeFiles() throws -> String {
        try arbor.initRoot()
        try succeed(["derive", "eu/node-7", "--root", "root.key", "--passphrase-file", "pass", "-o", "node.key"])
        for node in ["eu/node-7", "eu/node-8"] {
            try succeed([
                "cert", "issue", node, "--root", "root.key", "--passphrase-file", "pass", "-o", "\(node.split(separator: "/")[1]).chain",
            ])
        }
        try FileManager.default.moveItem(atPath: arbor.path("node-7.chain"), toPath: arbor.path("node.chain"))
        let revoked = try succeed([
            "revoke", "--chain", "node-8.chain", "--root", "root.key", "--passphrase-file", "pass", "--list", "l.crl",
        ])
        #expect(revoked.stdout.contains("holds 1 entry"), "\(revoked.stdout)")
        #expect(!revoked.stdout.contains("1 entries"), "\(revoked.stdout)")
        try Data("release\n".utf8).write(to: URL(fileURLWithPath: arbor.path("release.tar")))
        try succeed(["sign", "--key", "node.key", "--chain", "node.chain", "-o", "r.sig", "release.tar"])
        try succeed(["trust", "export", "--root-cert", "root.cert", "--name", "home", "-o", "b.bundle"])
        try succeed(["keygen", "-o", "id.txt"])
        let recipient = try succeed(["keygen", "-y", "id.txt"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        try Data("hello world\n".utf8).write(to: URL(fileURLWithPath: arbor.path("plain")))
        try succeed(["encrypt", "-r", recipient, "-o", "plain.age", "plain"])
        try succeed(["encrypt", "-a", "-r", recipient, "-o", "plain.age.asc", "plain"])
        return recipient
    }

    @discardableResult
    func succeed(_ arguments: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> ArborExecutable.Outcome {
        let outcome = try arbor.run(arguments)
        guard outcome.status == 0 else {
            throw ArborExecutable.SetupFailed(description: "\(arguments.joined(separator: " ")) failed: \(outcome.stderr)")
        }
        return outcome
    }

    func expectOneLine(
        _ outcome: ArborExecutable.Outcome, status: Int32, startingWith label: String, mentioning text: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.hasPrefix("arbor: error: \(label)"), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.contains(text), "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
    }

    @Test("a damaged file of each kind: its exit status, and one line naming it with its option")
    func damagedFiles() throws {
        defer { arbor.remove() }
        _ = try makeFiles()
        for (index, testCase) in Self.cases.enumerated() {
            let bad = "bad-\(index)-\(testCase.source.isEmpty ? "missing" : testCase.source)"
            if !testCase.source.isEmpty {
                let good = [UInt8](try Data(contentsOf: URL(fileURLWithPath: arbor.path(testCase.source))))
                // 0600, as key files must be; the public ones do not mind.
                #expect(
                    FileManager.default.createFile(
                        atPath: arbor.path(bad), contents: Data(testCase.damage.apply(to: good)), attributes: [.posixPermissions: 0o600]))
            }
            let outcome = try arbor.run(testCase.command.map { $0 == "BAD" ? bad : $0 })
            expectOneLine(
                outcome, status: testCase.status, startingWith: testCase.label.replacing("BAD", with: bad),
                mentioning: testCase.mentioning)
            #expect(!FileManager.default.fileExists(atPath: arbor.path("out")), "\(testCase)")
        }
    }

    @Test("--json: a failure prints the error object on stdout and keeps the status and the stderr line")
    func jsonFailures() throws {
        defer { arbor.remove() }
        _ = try makeFiles()
        try arbor.writeSecret("hello\n", to: "garbage.cert")
        try Data("changed\n".utf8).write(to: URL(fileURLWithPath: arbor.path("changed.tar")))
        let cases: [(arguments: [String], status: Int32, code: String, reason: String?)] = [
            (
                ["cert", "verify", "node.chain", "--anchor", "root.cert", "--at", "2099-01-01T00:00:00Z", "--json"], 3,
                "certificate_expired", "expired"
            ),
            (["cert", "verify", "node-8.chain", "--anchor", "root.cert", "--revocations", "l.crl", "--json"], 3, "revoked", "revoked"),
            (["verify", "-s", "r.sig", "--anchor", "root.cert", "changed.tar", "--json"], 3, "invalid_signature", "bad_signature"),
            (["fingerprint", "garbage.cert", "--json"], 5, "corrupt_file", nil),
            (["cert", "show", "missing.chain", "--json"], 6, "file_not_found", nil),
            (["trust", "import", "b.bundle", "--safety-number", "12345", "--json"], 2, "invalid_argument", nil),
            (["cert", "verify", "--json"], 2, "usage", nil),
            // A directory where a file should be: the system's error, still in the table and the envelope.
            (["inspect", arbor.directory.path, "--json"], 6, "io_failure", nil),
            (["sign", "--key", "node.key", "--chain", "node.chain", "-o", "d.sig", arbor.directory.path, "--json"], 6, "io_failure", nil),
        ]
        for (arguments, status, code, reason) in cases {
            let outcome = try arbor.run(arguments)
            let context = "\(arguments.joined(separator: " ")): \(outcome.stdout) \(outcome.stderr)"
            #expect(outcome.status == status, "\(context)")
            #expect(outcome.stderr.hasPrefix("arbor: error: "), "\(context)")
            let object = try #require(try arbor.json(outcome) as? [String: Any], "\(context)")
            #expect(object.keys.sorted() == ["error"], "\(context)")
            let error = try #require(object["error"] as? [String: Any], "\(context)")
            #expect(error["code"] as? String == code, "\(context)")
            #expect(error["reason"] as? String == reason, "\(context)")
            let message = try #require(error["message"] as? String, "\(context)")
            #expect(outcome.stderr.hasPrefix("arbor: error: \(message)"), "\(context)")
        }
        // Without --json, nothing goes to stdout.
        #expect(try arbor.run(["fingerprint", "garbage.cert"]).stdout.isEmpty)
    }

    @Test("usage errors: one line, the help to read, status 2; bare 'arbor' prints help and exits 2; --version")
    func usage() throws {
        defer { arbor.remove() }
        let unknownOption = try arbor.run(["cert", "show", "x.chain", "--frobnicate"])
        #expect(unknownOption.status == 2)
        #expect(unknownOption.stderr.hasPrefix("arbor: error: "), "\(unknownOption.stderr)")
        #expect(unknownOption.stderr.hasSuffix("\nsee 'arbor cert show --help'\n"), "\(unknownOption.stderr)")
        #expect(unknownOption.stderr.split(separator: "\n").count == 2, "\(unknownOption.stderr)")
        let unknownCommand = try arbor.run(["frobnicate"])
        #expect(unknownCommand.status == 2)
        #expect(unknownCommand.stderr.hasSuffix("\nsee 'arbor --help'\n"), "\(unknownCommand.stderr)")

        for arguments in [[], ["cert"]] {
            let bare = try arbor.run(arguments)
            #expect(bare.status == 2, "\(arguments)")
            #expect(bare.stderr.contains("SUBCOMMANDS"), "\(bare.stderr)")
            #expect(bare.stdout.isEmpty)
        }
        let help = try arbor.run(["--help"])
        #expect(help.status == 0 && help.stdout.contains("SUBCOMMANDS"))

        let version = try arbor.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout == ArborVersion.current + "\n")
    }

    @Test("an SSH key as a recipient: 'unsupported recipient type', status 2")
    func sshRecipient() throws {
        defer { arbor.remove() }
        try Data("plain\n".utf8).write(to: URL(fileURLWithPath: arbor.path("plain")))
        for type in ["ssh-ed25519", "ssh-rsa"] {
            let outcome = try arbor.run(["encrypt", "-r", "\(type) AAAAC3NzaC1lZDI1NTE5AAAAIExample user@host", "-o", "x.age", "plain"])
            expectOneLine(
                outcome, status: 2, startingWith: "",
                mentioning: "unsupported recipient type: \(type) (Arbor reads age X25519 and ML-KEM-768+X25519 recipients)")
        }
        #expect(!FileManager.default.fileExists(atPath: arbor.path("x.age")))
    }

    @Test("a typo in a safety number is 'not a safety number' (2); a real mismatch is refused as one (3)")
    func safetyNumberTypos() throws {
        defer { arbor.remove() }
        _ = try makeFiles()
        let exported = try succeed(["fingerprint", "b.bundle", "--json"])
        let number = try #require((try arbor.json(exported) as? [String: Any])?["safetyNumber"] as? [String: Any])
        let digits = try #require(number["digits"] as? String)
        let words = try #require(number["words"] as? [String])
        for typo in [String(digits.dropLast()), digits + "1", words.dropLast().joined(separator: " "), "yes please", words[0] + " xyzzy"] {
            expectOneLine(
                try arbor.run(["trust", "import", "b.bundle", "--safety-number", typo]), status: 2, startingWith: "",
                mentioning: "that is not a safety number")
        }
        // Right shape, wrong number: the mismatch warning.
        let wrong = String(digits.map { $0 == "1" ? "2" : $0 == "2" ? "1" : $0 })
        expectOneLine(
            try arbor.run(["trust", "import", "b.bundle", "--safety-number", wrong]), status: 3, startingWith: "",
            mentioning: "does not match")
        let imported = try succeed(["trust", "import", "b.bundle", "--safety-number", words.joined(separator: " ")])
        #expect(imported.stdout.contains(": 0 new revocations, 0 in all"), "\(imported.stdout)")
    }
}
