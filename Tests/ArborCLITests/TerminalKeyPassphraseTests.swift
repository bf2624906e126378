import ArborTestSupport
import Foundation
import Testing

/// An encrypted node key on a real pseudo-terminal (pexpect): `derive --encrypt` asks for the new
/// passphrase twice, and a command reading the key asks for it on the terminal while its data
/// comes piped on standard input, as age does.
@Suite("Terminal passphrase of an encrypted node key")
struct TerminalKeyPassphraseTests {
    static let driver = """
        import sys, pexpect
        arbor, directory = sys.argv[1], sys.argv[2]
        def run(arguments, answers, code):
            child = pexpect.spawn(arguments[0], arguments[1:], cwd=directory, timeout=60)
            for prompt, answer in answers:
                child.expect(prompt)
                child.sendline(answer)
            child.expect(pexpect.EOF)
            child.close()
            sys.stdout.write(child.before.decode() if child.before else "")
            if child.exitstatus != 0: sys.exit(code)
        run([arbor, "derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key", "--encrypt",
             "--unsafe-new-scrypt-log-n", "10"],
            [("Passphrase for the new node key eu.key: ", "typed node secret"), ("Repeat the passphrase: ", "typed node secret")], 10)
        run(["/bin/bash", "-c", "printf 'piped data' | \\"$0\\" encrypt --tree-key eu.key -o x.age", arbor],
            [("Passphrase for eu.key: ", "typed node secret")], 20)
        """

    @Test("derive --encrypt asks twice without echo; encrypt asks for the key's passphrase on the terminal with data piped in")
    func encryptedKeyOnTerminal() throws {
        let arbor = try ArborExecutable()
        defer { arbor.remove() }
        guard CustodyTest.python(has: "pexpect", for: "terminal key passphrase test") else { return }
        try arbor.initRoot()
        let (status, transcript, _) = try arbor.runTool(
            "/usr/bin/env", ["python3", "-c", Self.driver, arbor.url.path, arbor.directory.path])
        #expect(status == 0, "transcript: \(transcript)")
        #expect(!transcript.contains("typed node secret"))
        try arbor.writeSecret("typed node secret\n", to: "typed")
        let opened = try arbor.run(["decrypt", "--tree-key", "eu.key", "--key-passphrase-file", "typed", "x.age"])
        #expect(opened.status == 0 && opened.stdout == "piped data", "\(opened.stderr)")
    }
}
