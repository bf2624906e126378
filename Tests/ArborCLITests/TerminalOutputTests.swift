import ArborTestSupport
import Foundation
import Testing

/// Binary never goes to a terminal unless asked for by name (`-o -`), as in age: `encrypt`
/// refuses unarmored output and `decrypt` refuses binary plaintext when standard output is a
/// terminal; text and armor pass. pexpect gives the commands a real terminal.
@Suite("binary output to a terminal", .serialized)
struct TerminalOutputTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// Runs arbor in a pseudo-terminal; its exit status and everything it printed there.
    func inTerminal(_ arguments: [String]) throws -> (status: Int32, screen: String) {
        let driver = """
            import sys, pexpect
            child = pexpect.spawn(sys.argv[1], sys.argv[3:], cwd=sys.argv[2], timeout=60)
            child.expect(pexpect.EOF)
            child.close()
            sys.stdout.write(child.before.decode("utf-8", "replace"))
            sys.exit(child.exitstatus if child.exitstatus is not None else 99)
            """
        let run = try arbor.runTool("/usr/bin/env", ["python3", "-c", driver, arbor.url.path, arbor.directory.path] + arguments)
        return (run.status, run.stdout)
    }

    @Test("encrypt and decrypt to a terminal: binary refused with what to do, text and armor shown, -o - writes anyway")
    func binaryToTerminal() throws {
        defer { arbor.remove() }
        guard try arbor.runTool("/usr/bin/env", ["python3", "-c", "import pexpect"]).status == 0 else {
            Peers.missing("terminal output checks: python3 with pexpect is not installed")
            return
        }
        try arbor.writeSecret("a passphrase for the terminal test", to: "pass")
        try Data((0...255).map { UInt8($0) }).write(to: URL(fileURLWithPath: arbor.path("binary")))
        try Data("hello from a file\n".utf8).write(to: URL(fileURLWithPath: arbor.path("text")))
        for name in ["binary", "text"] {
            let sealed = try arbor.run([
                "encrypt", "-p", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10", "-o", "\(name).age", name,
            ])
            #expect(sealed.status == 0, "\(sealed.stderr)")
        }
        let decrypt = ["decrypt", "--passphrase-file", "pass"]

        let refused = try inTerminal(decrypt + ["binary.age"])
        #expect(refused.status == 2)
        #expect(refused.screen.contains("refusing to write binary plaintext to a terminal: use -o FILE, or -o - to write it anyway"))
        let text = try inTerminal(decrypt + ["text.age"])
        #expect(text.status == 0)
        #expect(text.screen.contains("hello from a file"))
        #expect(try inTerminal(decrypt + ["-o", "-", "binary.age"]).status == 0)

        let encrypt = ["encrypt", "-p", "--passphrase-file", "pass", "--unsafe-scrypt-log-n", "10"]
        let unarmored = try inTerminal(encrypt + ["text"])
        #expect(unarmored.status == 2)
        #expect(
            unarmored.screen.contains(
                "refusing to write binary age data to a terminal: use -a for armor, -o FILE, or -o - to write it anyway"))
        let armored = try inTerminal(encrypt + ["-a", "text"])
        #expect(armored.status == 0)
        #expect(armored.screen.contains("-----BEGIN AGE ENCRYPTED FILE-----"))
        #expect(try inTerminal(encrypt + ["-o", "-", "text"]).status == 0)
    }
}
