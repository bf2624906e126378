import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor chat` through the real binary against a real `arbor serve --dev`: two accounts, a
/// conversation both ways, the simulated assistant's streamed reply, membership, a password
/// change and a recovery, and the errors a user meets.
@Suite("arbor chat", .serialized)
struct ChatCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func chat(_ node: NodeProcess, _ name: String, _ arguments: [String], password: String? = nil) throws -> ArborExecutable.Outcome {
        try arbor.run(["chat"] + arguments + ["--node", node.url, "--name", name, "--password-file", password ?? "\(name).pw"])
    }

    @Test("sign up, talk both ways, an assistant's stream, add and remove, password and recovery")
    func conversation() throws {
        defer { arbor.remove() }
        let node = try NodeProcess(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], logs: "node")
        defer {
            node.signal(SIGTERM)
            _ = node.waitForExit()
        }
        for name in ["alice", "bob", "carol"] { try arbor.writeSecret("password of \(name)", to: "\(name).pw") }
        var codes: [String: [String]] = [:]
        for name in ["alice", "bob", "carol"] {
            let signUp = try chat(node, name, ["signup", "--json"])
            #expect(signUp.status == 0, "\(signUp.stderr)")
            #expect(signUp.stderr.contains("Losing both the password and the recovery code loses this account's messages"))
            let result = try #require(try arbor.json(signUp) as? [String: Any])
            codes[name] = try #require(result["recoveryCode"] as? [String])
        }
        #expect(codes["alice"]?.count == 6)

        let signIn = try chat(node, "alice", ["signin"])
        #expect(signIn.status == 0 && signIn.stdout.contains("identity keys match"), "\(signIn.stderr)")
        let whois = try chat(node, "bob", ["whois", "alice", "--json"])
        let number = try #require((try arbor.json(whois) as? [String: Any])?["safetyNumber"] as? [String: Any])
        let own = try chat(node, "alice", ["signin", "--json"])
        #expect((try arbor.json(own) as? [String: Any])?["safetyNumber"] as? [String: String] == number as? [String: String])

        let created = try chat(node, "alice", ["new", "--with", "bob", "--json"])
        #expect(created.status == 0, "\(created.stderr)")
        let conversation = try #require((try arbor.json(created) as? [String: Any])?["conversation"] as? String)
        let short = String(conversation.prefix(8))
        #expect(try chat(node, "alice", ["send", short, "hello bob"]).status == 0)
        #expect(try chat(node, "bob", ["send", conversation, "hello alice"]).status == 0)
        let read = try chat(node, "bob", ["read", short])
        #expect(
            read.status == 0 && read.stdout.contains("alice") && read.stdout.contains("hello bob") && read.stdout.contains("hello alice"),
            "\(read.stdout) \(read.stderr)")
        #expect(try chat(node, "alice", ["list"]).stdout.contains(conversation))

        // The assistant (carol's account) replies with a stream; bob reads it to its seal.
        #expect(try chat(node, "alice", ["add", short, "carol"]).status == 0)
        let assistant = try chat(node, "carol", ["assistant", short, "--json"])
        #expect(assistant.status == 0, "\(assistant.stderr)")
        let stream = try chat(node, "bob", ["stream", short])
        #expect(
            stream.status == 0 && stream.stdout.contains("simulated assistant") && stream.stdout.contains("verified: sealed"),
            "\(stream.stdout) \(stream.stderr)")
        #expect(try chat(node, "bob", ["read", short]).stdout.contains("(streamed): bob wrote 2 words"))

        // Removed, carol reads nothing written after.
        #expect(try chat(node, "alice", ["remove", short, "carol"]).status == 0)
        #expect(try chat(node, "bob", ["send", short, "carol cannot read this"]).status == 0)
        let carols = try chat(node, "carol", ["read", short])
        #expect(
            carols.stdout.contains("REFUSED (no matching key)") && !carols.stdout.contains("carol cannot read this"), "\(carols.stdout)")
        let write = try chat(node, "carol", ["send", short, "still here?"])
        #expect(write.status == 4 && write.stderr.contains("removed"), "\(write.stderr)")

        // A new password, then a recovery; both read the whole history.
        try arbor.writeSecret("alice's second password", to: "alice2.pw")
        #expect(try chat(node, "alice", ["password", "--new-password-file", "alice2.pw"]).status == 0)
        let old = try chat(node, "alice", ["signin"])
        #expect(old.status == 4, "\(old.stderr)")
        #expect(try chat(node, "alice", ["read", short], password: "alice2.pw").stdout.contains("hello alice"))
        try arbor.writeSecret(try #require(codes["bob"]).joined(separator: "\n"), to: "bob.code")
        try arbor.writeSecret("bob's new password", to: "bob2.pw")
        let recovered = try chat(node, "bob", ["recover", "--recovery-code-file", "bob.code"], password: "bob2.pw")
        #expect(recovered.status == 0, "\(recovered.stderr)")
        #expect(try chat(node, "bob", ["read", short], password: "bob2.pw").stdout.contains("hello bob"))
        let devices = try chat(node, "bob", ["devices", "--json"], password: "bob2.pw")
        #expect((try arbor.json(devices) as? [Any])?.count == 1, "\(devices.stdout)")
    }

    @Test("no node, a wrong password, an unknown conversation: one line saying what to do")
    func errors() throws {
        defer { arbor.remove() }
        try arbor.writeSecret("pw", to: "x.pw")
        let noNode = try arbor.run(["chat", "signin", "--node", "http://127.0.0.1:9", "--name", "x", "--password-file", "x.pw"])
        #expect(noNode.status == 6 && noNode.stderr.contains("--node"), "\(noNode.stderr)")
        let badURL = try arbor.run(["chat", "signin", "--node", "localhost", "--name", "x", "--password-file", "x.pw"])
        #expect(badURL.status == 2 && badURL.stderr.contains("http://"), "\(badURL.stderr)")
        let node = try NodeProcess(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], logs: "node")
        defer {
            node.signal(SIGTERM)
            _ = node.waitForExit()
        }
        let unknown = try chat(node, "x", ["signin"])
        #expect(unknown.status == 4, "\(unknown.stderr)")
        #expect(try chat(node, "x", ["signup"]).status == 0)
        let missing = try chat(node, "x", ["read", "abcdef"])
        #expect(missing.status == 6 && missing.stderr.contains("arbor chat list"), "\(missing.stderr)")
        let help = try arbor.run(["chat", "send", "--help"])
        #expect(help.stdout.contains("--password-file") && help.stdout.contains("--node"))
    }
}
