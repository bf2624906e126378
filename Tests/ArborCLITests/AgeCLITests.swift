import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// `arbor keygen`, `encrypt` and `decrypt` through the real executable, and interoperability with
/// the real age CLI in both directions when it is installed (scripts/test installs Debian's).
@Suite("arbor age commands", .serialized)
struct AgeCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func write(_ bytes: [UInt8], _ name: String) throws { try Data(bytes).write(to: URL(fileURLWithPath: arbor.path(name))) }
    func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: arbor.path(name)))) }

    static func random(_ count: Int, for test: String = #function) -> [UInt8] {
        var generator = SplitMix64.seeded(for: test)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// An identity file and its recipient.
    func keygen(_ name: String, pq: Bool = false) throws -> String {
        let outcome = try arbor.run(["keygen", "-o", name] + (pq ? ["--pq"] : []))
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let text = try String(contentsOfFile: arbor.path(name), encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("# public key: ") })
        return String(line.dropFirst("# public key: ".count))
    }

    func expectError(
        _ outcome: ArborExecutable.Outcome, status: Int32, mentioning text: String, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(outcome.status == status, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(outcome.stderr.split(separator: "\n").count == 1, "stderr: \(outcome.stderr)", sourceLocation: sourceLocation)
        #expect(
            outcome.stderr.hasPrefix("arbor: error: ") && outcome.stderr.contains(text), "stderr: \(outcome.stderr)",
            sourceLocation: sourceLocation)
    }

    @Test("keygen writes age-format identities (0600) with the public key comment; -y prints the recipient")
    func keygen() throws {
        defer { arbor.remove() }
        let recipient = try keygen("id.txt")
        #expect(recipient.hasPrefix("age1") && !recipient.hasPrefix("age1pq1"))
        let attributes = try FileManager.default.attributesOfItem(atPath: arbor.path("id.txt"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let lines = try String(contentsOfFile: arbor.path("id.txt"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("# created: ") && lines[2].hasPrefix("AGE-SECRET-KEY-1"))
        let pq = try keygen("pq.txt", pq: true)
        #expect(pq.hasPrefix("age1pq1") && pq.count > 1900)
        #expect(try String(contentsOfFile: arbor.path("pq.txt"), encoding: .utf8).contains("\nAGE-SECRET-KEY-PQ-1"))
        let converted = try arbor.run(["keygen", "-y", "pq.txt"])
        #expect(converted.stdout == pq + "\n")
        expectError(try arbor.run(["keygen", "-o", "id.txt"]), status: 6, mentioning: "already exists")
        // On standard output, the secret goes to stdout and nothing to stderr.
        let printed = try arbor.run(["keygen"])
        #expect(printed.stdout.contains("AGE-SECRET-KEY-1") && printed.stderr.isEmpty)
    }

    @Test("encrypt and decrypt round-trip: recipients, recipients files, armor, passphrase, several MiB")
    func roundTrips() throws {
        defer { arbor.remove() }
        let recipient = try keygen("id.txt")
        let pqRecipient = try keygen("pq.txt", pq: true)
        let plaintext = Self.random(3 << 20 + 777)
        try write(plaintext, "plain")
        try Data("# team\n\(pqRecipient)\n".utf8).write(to: URL(fileURLWithPath: arbor.path("recipients.txt")))
        let runs: [(encrypt: [String], decrypt: [String])] = [
            (["-r", recipient], ["-i", "id.txt"]),
            (["-r", recipient, "-a"], ["-i", "id.txt"]),
            (["-R", "recipients.txt"], ["-i", "id.txt", "-i", "pq.txt"]),
            (["-p", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10"], ["--passphrase-file", "pass"]),
        ]
        for (index, run) in runs.enumerated() {
            let encrypted = try arbor.run(["encrypt"] + run.encrypt + ["-o", "c\(index).age", "plain"])
            #expect(encrypted.status == 0, "\(run.encrypt): \(encrypted.stderr)")
            let decrypted = try arbor.run(["decrypt"] + run.decrypt + ["-o", "p\(index)", "c\(index).age"])
            #expect(decrypted.status == 0, "\(run.decrypt): \(decrypted.stderr)")
            #expect(try read("p\(index)") == plaintext)
        }
        #expect(try String(contentsOfFile: arbor.path("c1.age"), encoding: .utf8).hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
        // The passphrase never reaches the file or the output.
        #expect(!String(decoding: try read("c3.age"), as: UTF8.self).contains("test passphrase"))
        expectError(try arbor.run(["encrypt", "-r", recipient, "-o", "c0.age", "plain"]), status: 6, mentioning: "already exists")
        expectError(try arbor.run(["encrypt", "-p", "-r", recipient, "plain"]), status: 2, mentioning: "-p cannot be combined")
        expectError(try arbor.run(["encrypt", "-r", recipient, "-r", pqRecipient, "plain", "-o", "x"]), status: 2, mentioning: "mixed")
        expectError(try arbor.run(["encrypt", "-r", "age1notarecipient", "plain", "-o", "x"]), status: 2, mentioning: "recipient")
    }

    @Test("damaged files: distinct one-line errors and exit statuses, and nothing left at -o")
    func damage() throws {
        defer { arbor.remove() }
        let recipient = try keygen("id.txt")
        _ = try keygen("other.txt")
        let plaintext = Self.random(3 * 65_536)
        try write(plaintext, "plain")
        #expect(try arbor.run(["encrypt", "-r", recipient, "-o", "good.age", "plain"]).status == 0)
        let file = try read("good.age")
        let payload = file.count - 3 * 65_552
        // Truncated at a chunk boundary: the final chunk is missing.
        try write(Array(file.prefix(payload + 2 * 65_552)), "truncated.age")
        // A file that ends where a chunk should begin is cut short (5); a chunk that fails its tag is tampering (3).
        expectError(try arbor.run(["decrypt", "-i", "id.txt", "-o", "out", "truncated.age"]), status: 5, mentioning: "truncated")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
        // One bit flipped in the second chunk.
        var flipped = file
        flipped[payload + 65_552 + 100] ^= 0x04
        try write(flipped, "flipped.age")
        expectError(try arbor.run(["decrypt", "-i", "id.txt", "-o", "out", "flipped.age"]), status: 3, mentioning: "does not authenticate")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
        // The verified first chunk went to the temporary file; it is gone with the rest.
        #expect(try temporaryFiles() == [])
        // Extended after the (full) final chunk.
        try write(file + [0x0A], "extended.age")
        expectError(
            try arbor.run(["decrypt", "-i", "id.txt", "-o", "out", "extended.age"]), status: 5, mentioning: "follows the final chunk")
        // The wrong identity; a damaged header; not an age file.
        expectError(try arbor.run(["decrypt", "-i", "other.txt", "good.age", "-o", "out"]), status: 4, mentioning: "no identity")
        var header = file
        header[0] = UInt8(ascii: "A")
        try write(header, "header.age")
        expectError(try arbor.run(["decrypt", "-i", "id.txt", "header.age", "-o", "out"]), status: 5, mentioning: "not an age")
        #expect(try arbor.run(["decrypt", "-i", "id.txt", "good.age"]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
        // A wrong passphrase.
        #expect(
            try arbor.run(["encrypt", "-p", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10", "-o", "p.age", "plain"]).status == 0
        )
        expectError(
            try arbor.run(["decrypt", "--passphrase-file", "wrong-pass", "p.age", "-o", "out"]), status: 4, mentioning: "passphrase")
        expectError(try arbor.run(["decrypt", "-i", "id.txt", "p.age", "-o", "out"]), status: 4, mentioning: "passphrase")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
        #expect(try temporaryFiles() == [])
    }

    @Test("a tampered chunk in the middle of a large file: exit 3, nothing at -o, no .arbor-tmp-* file")
    func tamperedMiddleChunk() throws {
        defer { arbor.remove() }
        let recipient = try keygen("id.txt")
        try write(Self.pattern(5 << 20), "plain")
        #expect(try arbor.run(["encrypt", "-r", recipient, "-o", "good.age", "plain"]).status == 0)
        var file = try read("good.age")
        // Chunk 40 of 80, after a whole 2 MiB piece of verified plaintext was written.
        let payload = file.count - 80 * 65_552
        file[payload + 40 * 65_552 + 1000] ^= 0x01
        try write(file, "tampered.age")
        expectError(try arbor.run(["decrypt", "-i", "id.txt", "-o", "out", "tampered.age"]), status: 3, mentioning: "chunk 40")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
        #expect(try temporaryFiles() == [])
    }

    // MARK: - Decryption ended by a signal

    /// Bytes that are not all alike, without randomness.
    static func pattern(_ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 131 &+ $0 >> 11) } }

    /// The `.arbor-tmp-*` files left in the test directory.
    func temporaryFiles() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: arbor.directory.path).filter { $0.hasPrefix(".arbor-tmp-") }
    }

    /// Starts `arbor decrypt -o out` reading a large file from a pipe, feeds it only the first
    /// 3 MiB and returns once the temporary file holds plaintext: the decryption is mid-stream,
    /// blocked on its input. Returns the process and the pipe's write end (kept open).
    func decryptionMidStream() throws -> (Process, FileHandle) {
        let recipient = try keygen("id.txt")
        try write(Self.pattern(8 << 20), "plain")
        #expect(try arbor.run(["encrypt", "-r", recipient, "-o", "big.age", "plain"]).status == 0)
        let file = try read("big.age")
        let process = Process()
        process.executableURL = arbor.url
        process.arguments = ["decrypt", "-i", "id.txt", "-o", "out"]
        process.currentDirectoryURL = arbor.directory
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let writer = input.fileHandleForWriting
        let fed = DispatchSemaphore(value: 0)
        let prefix = Data(file.prefix(3 << 20))
        Thread.detachNewThread {
            writer.write(prefix)
            fed.signal()
        }
        #expect(fed.wait(timeout: .now() + 120) == .success, "the decryption did not read its input")
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let sizes = try temporaryFiles().map {
                (try FileManager.default.attributesOfItem(atPath: arbor.path($0))[.size] as? NSNumber)?.intValue ?? 0
            }
            if sizes.contains(where: { $0 > 0 }) { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        #expect(try temporaryFiles().count == 1, "no temporary file with plaintext appeared")
        #expect(process.isRunning)
        return (process, writer)
    }

    @Test(
        "decrypt -o killed with SIGTERM or SIGINT mid-stream removes its temporary file and dies of the signal",
        arguments: [SIGTERM, SIGINT])
    func signalMidStream(_ signal: Int32) throws {
        defer { arbor.remove() }
        let (process, writer) = try decryptionMidStream()
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        try? writer.close()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == signal)
        #expect(try temporaryFiles() == [])
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
    }

    @Test("after SIGKILL nothing can run: the plaintext stays in a 0600 file named .arbor-tmp-* (docs/threat-model.md)")
    func killedMidStream() throws {
        defer { arbor.remove() }
        let (process, writer) = try decryptionMidStream()
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? writer.close()
        #expect(process.terminationReason == .uncaughtSignal)
        #expect(process.terminationStatus == SIGKILL)
        let left = try temporaryFiles()
        #expect(left.count == 1)
        for name in left {
            let attributes = try FileManager.default.attributesOfItem(atPath: arbor.path(name))
            #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        }
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")))
    }

    // MARK: - Interoperability with the age CLI

    /// The age CLI's path, or nil (the test then says it was skipped).
    static func ageTool() -> String? {
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let candidate = "\(directory)/age"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @Test("interop with the age CLI: X25519 both ways (binary and armored), passphrase both ways")
    func ageInterop() throws {
        defer { arbor.remove() }
        guard let age = Self.ageTool() else {
            Peers.missing("age interop: the age CLI is not installed (scripts/test installs it with apt-get)")
            return
        }
        let version = try arbor.runTool(age, ["--version"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let recipient = try keygen("id.txt")
        let plaintext = Self.random(2 << 20 + 4321)
        try write(plaintext, "plain")
        // Arbor encrypts, age decrypts.
        for armor in [[], ["-a"]] {
            #expect(try arbor.run(["encrypt", "-r", recipient, "-o", "arbor\(armor.count).age", "plain"] + armor).status == 0)
            let decrypted = try arbor.runTool(age, ["-d", "-i", "id.txt", "-o", "from-arbor\(armor.count)", "arbor\(armor.count).age"])
            #expect(decrypted.status == 0, "age -d: \(decrypted.stderr)")
            #expect(try read("from-arbor\(armor.count)") == plaintext)
        }
        // age encrypts (to a key from arbor keygen and one from age-keygen), Arbor decrypts.
        let ageKeygen = URL(fileURLWithPath: age).deletingLastPathComponent().appendingPathComponent("age-keygen").path
        try arbor.runTool(ageKeygen, ["-o", "age-id.txt"])
        let ageRecipient = try arbor.runTool(ageKeygen, ["-y", "age-id.txt"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for (armor, identity, to) in [([String](), "id.txt", recipient), (["-a"], "age-id.txt", ageRecipient)] {
            let encrypted = try arbor.runTool(age, ["-r", to, "-o", "age\(armor.count).age"] + armor + ["plain"])
            #expect(encrypted.status == 0, "age -r: \(encrypted.stderr)")
            let decrypted = try arbor.run(["decrypt", "-i", identity, "-o", "from-age\(armor.count)", "age\(armor.count).age"])
            #expect(decrypted.status == 0, "\(decrypted.stderr)")
            #expect(try read("from-age\(armor.count)") == plaintext)
        }
        // Passphrases: age reads them only from a terminal, so pexpect drives it.
        #expect(
            try arbor.run(["encrypt", "-p", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "12", "-o", "pass.age", "plain"]).status
                == 0)
        let driver = """
            import sys, pexpect
            age, directory, mode = sys.argv[1], sys.argv[2], sys.argv[3]
            args = ["-d", "-o", "from-arbor-pass", "pass.age"] if mode == "decrypt" else ["-p", "-o", "age-pass.age", "plain"]
            child = pexpect.spawn(age, args, cwd=directory, timeout=120)
            for _ in range(1 if mode == "decrypt" else 2):
                child.expect("passphrase")
                child.sendline("test passphrase")
            child.expect(pexpect.EOF)
            child.close()
            sys.exit(child.exitstatus or 0)
            """
        let probe = try arbor.runTool("/usr/bin/env", ["python3", "-c", "import pexpect"])
        guard probe.status == 0 else {
            Peers.missing(
                "age passphrase interop: python3 with pexpect is not installed (age \(version) reads passphrases from a terminal only)")
            return
        }
        #expect(try arbor.runTool("/usr/bin/env", ["python3", "-c", driver, age, arbor.directory.path, "decrypt"]).status == 0)
        #expect(try read("from-arbor-pass") == plaintext)
        #expect(try arbor.runTool("/usr/bin/env", ["python3", "-c", driver, age, arbor.directory.path, "encrypt"]).status == 0)
        let opened = try arbor.run(["decrypt", "--passphrase-file", "pass", "-o", "from-age-pass", "age-pass.age"])
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(try read("from-age-pass") == plaintext)

        // Post-quantum recipients arrived in age v1.3.0.
        let parts = version.trimmingCharacters(in: CharacterSet(charactersIn: "v")).split(separator: ".").compactMap { Int($0) }
        if parts.count >= 2, (parts[0], parts[1]) >= (1, 3) {
            let pq = try keygen("pq.txt", pq: true)
            #expect(try arbor.run(["encrypt", "-r", pq, "-o", "pq.age", "plain"]).status == 0)
            let decrypted = try arbor.runTool(age, ["-d", "-i", "pq.txt", "-o", "from-arbor-pq", "pq.age"])
            #expect(decrypted.status == 0, "age -d (post-quantum): \(decrypted.stderr)")
            #expect(try read("from-arbor-pq") == plaintext)
        } else {
            print(
                "age interop: age \(version) predates post-quantum recipients (v1.3.0); mlkem768x25519 interop is checked against the CCTV vectors (ArborSealTests) only"
            )
        }
        print("age interop with age \(version): X25519 binary and armored both ways, scrypt both ways: done")
    }
}
