import Foundation
import Testing

/// Passphrases from pipes and descriptors, as age and gpg take them: `--passphrase-file -`,
/// `/dev/stdin`, a FIFO and a bash process substitution, each read once through the real binary.
/// Standard input is never taken for a passphrase unless named, and carries one thing only.
@Suite("arbor CLI: passphrases from pipes", .serialized)
struct PassphrasePipeCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// Runs a bash script in the test's directory with `$ARBOR` naming the binary.
    func bash(_ script: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try arbor.runTool("/bin/bash", ["-c", "ARBOR=\"$0\"; " + script, arbor.url.path])
    }

    func contents(_ name: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: arbor.path(name))) }

    @Test("the root passphrase from -, /dev/stdin, a FIFO and <(…) opens the root, as the file does")
    func everyKindOfPipe() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "file.key"]).status == 0)
        let dash = try arbor.run(
            ["derive", "eu", "--root", "root.key", "--passphrase-file", "-", "-o", "dash.key"], input: Data("test passphrase\n".utf8))
        #expect(dash.status == 0, "\(dash.stderr)")
        let stdin = try arbor.run(
            ["derive", "eu", "--root", "root.key", "--passphrase-file", "/dev/stdin", "-o", "stdin.key"],
            input: Data("test passphrase\r\n".utf8))
        #expect(stdin.status == 0, "\(stdin.stderr)")
        // A FIFO made with mode 0644: pipes have no permission bits worth refusing.
        let fifo = try bash(
            "mkfifo -m 644 pw.fifo && { printf 'test passphrase\\n' > pw.fifo & } && \"$ARBOR\" derive eu --root root.key --passphrase-file pw.fifo -o fifo.key"
        )
        #expect(fifo.status == 0, "\(fifo.stderr)")
        // No trailing newline; /dev/fd/63 or so, a pipe.
        let substituted = try bash("\"$ARBOR\" derive eu --root root.key --passphrase-file <(printf 'test passphrase') -o fd.key")
        #expect(substituted.status == 0, "\(substituted.stderr)")
        for name in ["dash.key", "stdin.key", "fifo.key", "fd.key"] {
            #expect(try contents(name) == contents("file.key"), "\(name)")
        }
        // Only the first line is the passphrase, as with a file (pass show prints more lines).
        let lines = try bash("printf 'test passphrase\\nurl: x\\n' | \"$ARBOR\" derive eu --root root.key --passphrase-file - -o lines.key")
        #expect(lines.status == 0, "\(lines.stderr)")
        let wrong = try bash("\"$ARBOR\" derive eu --root root.key --passphrase-file <(printf 'not it') -o wrong.key")
        #expect(wrong.status == 4, "\(wrong.stderr)")
        let empty = try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "-", "-o", "empty.key"], input: Data())
        #expect(empty.status == 2 && empty.stderr.contains("standard input is empty"), "\(empty.stderr)")
    }

    @Test("a new root key's passphrase from a pipe, then a command that needs it from another")
    func rootInitFromPipe() throws {
        defer { arbor.remove() }
        let made = try bash(
            "printf 'piped root pass\\n' | \"$ARBOR\" root init -o root.key --passphrase-file - --unsafe-scrypt-log-n 10 >/dev/null && \"$ARBOR\" cert issue eu --root root.key --passphrase-file <(printf 'piped root pass\\n') -o eu.chain"
        )
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: arbor.path("eu.chain")))
    }

    @Test("standard input carries the passphrase or the data, not both, and is never read for a passphrase unless named")
    func standardInputOnce() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let both = try arbor.run(
            ["encrypt", "-p", "--passphrase-file", "-", "-o", "x.age", "--unsafe-scrypt-log-n", "10"], input: Data("test passphrase\n".utf8)
        )
        #expect(both.status == 2, "\(both.stderr)")
        #expect(both.stderr.contains("standard input already carries the passphrase and cannot also carry the data"), "\(both.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("x.age")))
        // Data piped in, passphrase named as a file: both work.
        let data = try arbor.run(
            ["encrypt", "-p", "--passphrase-file", "pass", "-o", "x.age", "--unsafe-scrypt-log-n", "10"], input: Data("hello".utf8))
        #expect(data.status == 0, "\(data.stderr)")
        // No terminal (setsid leaves none) and no passphrase file: refused, naming the option to use,
        // even with a passphrase-looking line on standard input.
        let noTerminal = try bash("printf 'test passphrase\\n' | setsid -w \"$ARBOR\" derive eu --root root.key -o eu.key")
        #expect(noTerminal.status == 2, "\(noTerminal.stderr)")
        #expect(noTerminal.stderr.contains("--passphrase-file -"), "\(noTerminal.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("eu.key")))
        // The data named /dev/stdin is standard input too: it cannot also carry the passphrase.
        let encrypted = try arbor.run([
            "derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key", "--new-passphrase-file", "pass",
            "--unsafe-new-scrypt-log-n", "10",
        ])
        #expect(encrypted.status == 0, "\(encrypted.stderr)")
        #expect(try arbor.run(["cert", "issue", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.chain"]).status == 0)
        let named = try bash(
            "printf 'test passphrase\\nimportant data\\n' | \"$ARBOR\" sign --key eu.key --chain eu.chain --key-passphrase-file - -o s.sig /dev/stdin"
        )
        #expect(named.status == 2, "\(named.stderr)")
        #expect(named.stderr.contains("standard input already carries"), "\(named.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("s.sig")))
    }

    @Test("a named FIFO given for two secrets is refused before the second open, which would block")
    func fifoTwice() throws {
        defer { arbor.remove() }
        try arbor.initRoot()
        let twice = try bash(
            "mkfifo pw.fifo && { printf 'test passphrase\\n' > pw.fifo & } && timeout 60 \"$ARBOR\" derive eu --root root.key --passphrase-file pw.fifo --new-passphrase-file pw.fifo --unsafe-new-scrypt-log-n 10 -o eu.key"
        )
        #expect(twice.status == 2, "\(twice.stderr)")
        #expect(twice.stderr.contains("is a pipe and was read already"), "\(twice.stderr)")
    }
}
