import Foundation
import Testing

/// Interactive recovery keeps what was typed: a new passphrase that is empty, short or repeated
/// differently is asked for again without losing the shares; a SLIP-39 mnemonic with a word missing
/// says so. A failed `root split` leaves no directory behind.
@Suite("arbor root recover prompts and failed splits", .serialized)
struct CustodyRecoveryPromptTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func lastLines(of directory: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: arbor.path(directory)).sorted().map { name in
            try #require(try arbor.read(directory + "/" + name).split(separator: "\n").last.map(String.init))
        }
    }

    static let driver = """
        import sys, pexpect
        arbor, directory, first, second = sys.argv[1:5]
        child = pexpect.spawn(arbor, ["root", "recover", "--slip39", "-o", "tty.key", "--root-cert", "root.cert",
                                      "--unsafe-scrypt-log-n", "10"], cwd=directory, timeout=60)
        child.expect("Mnemonic 1: ")
        child.sendline(" ".join(first.split()[:-1]))
        child.expect("refused: this mnemonic has 32 words.*is a word missing")
        child.expect("Mnemonic 1: ")
        child.sendline(" ".join(first.split()[:19]))
        child.expect("refused: this mnemonic has 19 words; a SLIP-39 mnemonic has 20 or 33")
        child.expect("Mnemonic 1: ")
        child.sendline(first)
        child.expect("Mnemonic 2: ")
        child.sendline(second)
        child.expect("that is enough")
        child.expect("New passphrase for the recovered root key: ")
        child.sendline("")
        child.expect("the passphrase is empty")
        child.expect("New passphrase for the recovered root key: ")
        child.sendline("short")
        child.expect("at least 8")
        child.expect("New passphrase for the recovered root key: ")
        child.sendline("typed new secret")
        child.expect("Repeat the passphrase: ")
        child.sendline("typed another secret")
        child.expect("the two passphrases differ")
        child.expect("New passphrase for the recovered root key: ")
        child.sendline("typed new secret")
        child.expect("Repeat the passphrase: ")
        child.sendline("typed new secret")
        child.expect(pexpect.EOF)
        child.close()
        sys.stdout.write(child.before.decode() if child.before else "")
        sys.exit(0 if child.exitstatus == 0 else 10 + (child.exitstatus or 0))
        """

    @Test("a wrong new passphrase asks again and keeps the shares; a mnemonic with a missing word says so")
    func mistakesAfterTheSharesAskAgain() throws {
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pexpect", for: "interactive recovery retries") else { return }
        try arbor.initRoot()
        CustodyTest.expectSuccess(
            try arbor.run([
                "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--slip39", "--threshold", "2", "--shares", "3",
                "--iteration-exponent", "0", "-o", "words",
            ]))
        let mnemonics = try lastLines(of: "words")
        #expect(mnemonics[0].split(separator: " ").count == 33)
        let run = try CustodyTest.runPython(
            Self.driver, [arbor.url.path, arbor.directory.path, mnemonics[0], mnemonics[2]], in: arbor.directory)
        #expect(run.status == 0, "transcript: \(run.output) \(run.errors)")
        for mnemonic in mnemonics { #expect(!run.output.contains(mnemonic.split(separator: " ").suffix(6).joined(separator: " "))) }
        #expect(!run.output.contains("typed new secret"))
        try arbor.write("typed new secret\n", to: "typed-pass")
        CustodyTest.expectSuccess(try arbor.run(["derive", "eu", "--root", "tty.key", "--passphrase-file", "typed-pass", "-o", "eu.key"]))
    }

    @Test("a mnemonic with a word missing is named as such in a shares file too")
    func missingWordInAFile() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        CustodyTest.expectSuccess(
            try arbor.run([
                "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--slip39", "--threshold", "2", "--shares", "3",
                "--iteration-exponent", "0", "-o", "words",
            ]))
        let mnemonics = try lastLines(of: "words")
        try arbor.writeSecret(
            mnemonics[0] + "\n" + mnemonics[1].split(separator: " ").dropLast().joined(separator: " ") + "\n", to: "two.txt")
        let recovered = try arbor.run([
            "root", "recover", "--slip39", "--shares-file", "two.txt", "--passphrase-file", "pass", "-o", "r.key", "--root-cert",
            "root.cert",
        ])
        #expect(recovered.status != 0)
        #expect(recovered.stderr.contains("has 32 words"), "\(recovered.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("r.key")))
    }

    @Test("a root split that fails (wrong passphrase, bad threshold, missing root) leaves no directory")
    func failedSplitLeavesNoDirectory() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        try arbor.write("not the passphrase\n", to: "wrong-pass")
        let attempts: [[String]] = [
            ["--root", "root.key", "--passphrase-file", "wrong-pass", "--threshold", "2", "--shares", "3"],
            ["--root", "root.key", "--passphrase-file", "pass", "--threshold", "4", "--shares", "3"],
            ["--root", "missing.key", "--passphrase-file", "pass", "--threshold", "2", "--shares", "3"],
            ["--root", "root.key", "--passphrase-file", "pass", "--threshold", "1", "--shares", "3"],
        ]
        for (index, arguments) in attempts.enumerated() {
            let outcome = try arbor.run(["root", "split"] + arguments + ["-o", "out/shares\(index)"])
            #expect(outcome.status != 0, "\(arguments)")
            #expect(!FileManager.default.fileExists(atPath: arbor.path("out/shares\(index)")), "\(arguments) left its directory")
        }
        #expect(!FileManager.default.fileExists(atPath: arbor.path("out")), "nor its parent")
        // A directory that existed before a failed split is left as it was.
        try FileManager.default.createDirectory(atPath: arbor.path("kept"), withIntermediateDirectories: false)
        #expect(
            try arbor.run([
                "root", "split", "--root", "root.key", "--passphrase-file", "wrong-pass", "--threshold", "2", "--shares", "3", "-o", "kept",
            ]).status != 0)
        #expect(FileManager.default.fileExists(atPath: arbor.path("kept")))
        // And a split that succeeds makes it.
        CustodyTest.expectSuccess(
            try arbor.run([
                "root", "split", "--root", "root.key", "--passphrase-file", "pass", "--threshold", "2", "--shares", "3", "-o", "out/ok",
            ]))
        #expect(try lastLines(of: "out/ok").count == 3)
    }
}
