import ArborTestSupport
import Foundation
import Testing

/// The passphrase prompt on a real pseudo-terminal, driven by Python's pexpect: the passphrase is
/// asked twice at init, is never echoed, and opens the file afterwards.
@Suite("Terminal passphrase")
struct TerminalPassphraseTests {
    static let driver = """
        import sys, pexpect
        arbor, directory = sys.argv[1], sys.argv[2]
        child = pexpect.spawn(arbor, ["root", "init", "-o", "tty.key", "--unsafe-scrypt-log-n", "10"], cwd=directory, timeout=60)
        child.expect("Passphrase for the new root key: ")
        child.sendline("typed in secret")
        child.expect("Repeat the passphrase: ")
        child.sendline("typed in secret")
        child.expect(pexpect.EOF)
        child.close()
        sys.stdout.write(child.before.decode() if child.before else "")
        if child.exitstatus != 0: sys.exit(10 + (child.exitstatus or 0))
        child = pexpect.spawn(arbor, ["derive", "eu", "--root", "tty.key", "-o", "eu.key"], cwd=directory, timeout=60)
        child.expect("Passphrase for tty.key: ")
        child.sendline("typed in secret")
        child.expect(pexpect.EOF)
        child.close()
        sys.exit(0 if child.exitstatus == 0 else 30)
        """

    @Test("root init asks twice without echo; the same passphrase opens the file")
    func terminalPrompt() throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pexpect", for: "terminal passphrase test") else { return }
        let (status, transcript, _) = try arbor.runTool(
            "/usr/bin/env", ["python3", "-c", Self.driver, arbor.url.path, arbor.directory.path])
        #expect(status == 0, "transcript: \(transcript)")
        #expect(transcript.contains("wrote root key tty.key"))
        #expect(!transcript.contains("typed in secret"))
        #expect(FileManager.default.fileExists(atPath: arbor.path("eu.key")))
    }
}
