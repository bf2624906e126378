import Foundation
import Testing

/// `arbor root split` and `arbor root recover`: share files 0600 that never reach stdout, recovery
/// re-encrypted under a new passphrase, the check against root.cert, and the interactive prompt.
@Suite("arbor root split/recover", .serialized)
struct CustodyRootTests {
    let arbor: ArborExecutable

    init() throws {
        arbor = try ArborExecutable()
        try arbor.write("brand new passphrase\n", to: "new-pass")
    }

    func shareFiles(_ directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: arbor.path(directory)).sorted().map { directory + "/" + $0 }
    }

    @Test("split writes one 0600 file per holder; any t of them recover the root, checked against root.cert")
    func splitAndRecover() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let split = try arbor.run([
            "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--threshold", "3", "--shares", "5", "-o", "shares",
            "--json",
        ])
        CustodyTest.expectSuccess(split)
        let result = try #require(try arbor.json(split) as? [String: Any])
        let files = try #require(result["files"] as? [String])
        #expect(files.count == 5)
        #expect(try shareFiles("shares").count == 5)
        for file in try shareFiles("shares") {
            #expect(try arbor.permissions(file) == 0o600)
            let share = try #require(try arbor.read(file).split(separator: "\n").last.map(String.init))
            #expect(share.hasPrefix("arbor-share-v1-"))
            #expect(!split.stdout.contains(share.suffix(40)), "share values never reach stdout")
        }
        let contents = try shareFiles("shares").map { try arbor.read($0) }
        try arbor.write(contents[4] + contents[1] + contents[2], to: "three.txt")
        let recovered = try arbor.run([
            "root", "recover", "--shares-file", "three.txt", "--passphrase-file", "new-pass", "-o", "recovered.key", "--root-cert",
            "root.cert",
            "--unsafe-scrypt-log-n", "10",
        ])
        CustodyTest.expectSuccess(recovered)
        #expect(recovered.stdout.contains("matches the root certificate root.cert"))
        #expect(try arbor.permissions("recovered.key") == 0o600)
        // The recovered file opens with the new passphrase only, and derives the same keys as the original.
        let original = try arbor.run(["derive", "eu/node-1", "--root", "root.key", "--passphrase-file", "pass", "-o", "a.key", "--json"])
        let again = try arbor.run([
            "derive", "eu/node-1", "--root", "recovered.key", "--passphrase-file", "new-pass", "-o", "b.key", "--json",
        ])
        CustodyTest.expectSuccess(again)
        #expect(
            (try arbor.json(original) as? [String: Any])?["keyID"] as? String == (try arbor.json(again) as? [String: Any])?["keyID"]
                as? String)
        let oldPassphrase = try arbor.run(["derive", "eu/node-1", "--root", "recovered.key", "--passphrase-file", "pass", "-o", "c.key"])
        CustodyTest.expectError(oldPassphrase, status: 4, mentioning: "passphrase")

        // Two shares are not enough; an existing output is never overwritten.
        try arbor.write(contents[0] + contents[1], to: "two.txt")
        let tooFew = try arbor.run([
            "root", "recover", "--shares-file", "two.txt", "--passphrase-file", "new-pass", "-o", "x.key", "--root-cert", "root.cert",
        ])
        CustodyTest.expectError(tooFew, status: 2, mentioning: "needs 3 distinct shares")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("x.key")))
        let exists = try arbor.run([
            "root", "recover", "--shares-file", "three.txt", "--passphrase-file", "new-pass", "-o", "recovered.key", "--root-cert",
            "root.cert",
        ])
        CustodyTest.expectError(exists, status: 6, mentioning: "already exists")
    }

    @Test("shares of another root, or of an older split, are refused and nothing is written")
    func wrongRootAndOldSets() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.initRoot("other.key")
        for (key, directory) in [("root.key", "old"), ("root.key", "new"), ("other.key", "other")] {
            let outcome = try arbor.run([
                "root", "split", "--root", key, "--passphrase-file", "pass", "--threshold", "2", "--shares", "3", "-o", directory,
            ])
            CustodyTest.expectSuccess(outcome)
        }
        let other = try shareFiles("other").map { try arbor.read($0) }
        try arbor.write(other[0] + other[2], to: "other.txt")
        let mismatch = try arbor.run([
            "root", "recover", "--shares-file", "other.txt", "--passphrase-file", "new-pass", "-o", "out.key", "--root-cert", "root.cert",
        ])
        CustodyTest.expectError(mismatch, status: 3, mentioning: "another root", "nothing was written")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out.key")))
        // After a rotation, a share of the old set does not combine with the new set: it is named by line.
        let old = try shareFiles("old").map { try arbor.read($0) }
        let new = try shareFiles("new").map { try arbor.read($0) }
        try arbor.write(new[0] + new[1] + old[2], to: "mixed.txt")
        let mixed = try arbor.run(["root", "recover", "--shares-file", "mixed.txt", "--check-only", "--root-cert", "root.cert"])
        CustodyTest.expectError(mixed, status: 2, mentioning: "line 9", "does not belong")
        try arbor.write(new[0] + new[2], to: "new.txt")
        let check = try arbor.run(["root", "recover", "--shares-file", "new.txt", "--check-only", "--root-cert", "root.cert"])
        CustodyTest.expectSuccess(check)
        #expect(check.stdout.contains("matches the root certificate"))
    }

    @Test("SLIP-39 root split in groups, recovered from a quorum of groups")
    func slip39Root() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let split = try arbor.run([
            "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--slip39", "--groups", "2of3,1of1", "--group-threshold",
            "2",
            "--iteration-exponent", "0", "-o", "words",
        ])
        CustodyTest.expectSuccess(split)
        let files = try shareFiles("words")
        #expect(files.count == 4)
        // Counts read as English: "2 groups needed", "1 needed" (a group of 1of1).
        let header = try arbor.read(try #require(files.first { $0.contains("group2-member1") }))
        #expect(header.contains("group 2 of 2 (2 groups needed), member 1 of 1 (1 needed)"), "\(header)")
        try arbor.initRoot("single.key")
        CustodyTest.expectSuccess(
            try arbor.run([
                "root", "split", "--root", "single.key", "--passphrase-file", "pass", "--slip39", "--threshold", "2", "--shares", "3",
                "--iteration-exponent", "0", "-o", "single",
            ]))
        let single = try arbor.read(try #require(try shareFiles("single").first))
        #expect(single.contains("group 1 of 1 (1 group needed)"), "\(single)")
        let chosen = files.filter { $0.contains("group1-member1") || $0.contains("group1-member3") || $0.contains("group2-member1") }
        try arbor.write(try chosen.map { try arbor.read($0) }.joined(), to: "quorum.txt")
        let recovered = try arbor.run([
            "root", "recover", "--slip39", "--shares-file", "quorum.txt", "--passphrase-file", "new-pass", "-o", "r.key", "--root-cert",
            "root.cert", "--unsafe-scrypt-log-n", "10", "--json",
        ])
        CustodyTest.expectSuccess(recovered)
        #expect((try arbor.json(recovered) as? [String: Any])?["matchesRootCertificate"] as? Bool == true)
    }

    static let driver = """
        import sys, pexpect
        arbor, directory, first, wrong, second, third = sys.argv[1:7]
        child = pexpect.spawn(arbor, ["root", "recover", "-o", "tty.key", "--root-cert", "root.cert", "--unsafe-scrypt-log-n", "10"],
                              cwd=directory, timeout=60)
        child.expect("Share 1: ")
        child.sendline(first)
        child.expect("2 more needed")
        child.expect("Share 2: ")
        child.sendline(first[:-1] + ("0" if first[-1] != "0" else "1"))
        child.expect("refused: .*checksum")
        child.expect("Share 2: ")
        child.sendline(wrong)
        child.expect("refused: this share is from set")
        child.expect("Share 2: ")
        child.sendline(second)
        child.expect("1 more needed")
        child.expect("Share 3: ")
        child.sendline(third)
        child.expect("that is enough")
        child.expect("New passphrase for the recovered root key: ")
        child.sendline("typed new secret")
        child.expect("Repeat the passphrase: ")
        child.sendline("typed new secret")
        child.expect(pexpect.EOF)
        child.close()
        transcript = child.before.decode() if child.before else ""
        sys.stdout.write(transcript)
        sys.exit(0 if child.exitstatus == 0 else 10 + (child.exitstatus or 0))
        """

    @Test("interactive recovery asks share by share, refuses bad ones, says how many are needed, never echoes")
    func interactiveRecovery() throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pexpect", for: "interactive root recovery test") else { return }
        try arbor.initRoot()
        for directory in ["set", "stray"] {
            CustodyTest.expectSuccess(
                try arbor.run([
                    "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--threshold", "3", "--shares", "4", "-o",
                    directory,
                ]))
        }
        let shares = try shareFiles("set").map { try #require(try arbor.read($0).split(separator: "\n").last.map(String.init)) }
        let stray = try #require(try arbor.read(try shareFiles("stray")[0]).split(separator: "\n").last.map(String.init))
        let run = try CustodyTest.runPython(
            Self.driver, [arbor.url.path, arbor.directory.path, shares[0], stray, shares[3], shares[1]], in: arbor.directory)
        #expect(run.status == 0, "transcript: \(run.output) \(run.errors)")
        for share in shares + [stray] { #expect(!run.output.contains(share.suffix(30)), "a share was echoed") }
        #expect(!run.output.contains("typed new secret"))
        #expect(try arbor.permissions("tty.key") == 0o600)
        try arbor.write("typed new secret\n", to: "typed-pass")
        CustodyTest.expectSuccess(try arbor.run(["derive", "eu", "--root", "tty.key", "--passphrase-file", "typed-pass", "-o", "eu.key"]))
    }
}
