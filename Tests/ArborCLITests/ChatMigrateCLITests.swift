import Foundation
import GRDB
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor chat migrate` through the real binary against a real `arbor serve --dev` (docs/e2ee.md
/// §15): a legacy SQLite store of alice's and bob's conversations moved into alice's encrypted
/// conversations with a just-in-time sign-up, paused and resumed, run again without writing
/// twice, read back with the legacy authors, verified, rolled back, migrated again, confirmed.
@Suite("arbor chat migrate", .serialized)
struct ChatMigrateCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    func chat(_ node: NodeProcess, _ arguments: [String]) throws -> ArborExecutable.Outcome {
        try arbor.run(["chat"] + arguments + ["--node", node.url, "--name", "alice", "--password-file", "alice.pw"])
    }

    func migrate(_ node: NodeProcess, _ arguments: [String]) throws -> (ArborExecutable.Outcome, [String: Any]) {
        let outcome = try chat(node, ["migrate", "--from", "legacy.db", "--json"] + arguments)
        let result = (try? arbor.json(outcome) as? [String: Any]) ?? [:]
        return (outcome, result)
    }

    /// Three conversations: two of alice's (5 and 3 messages) and one of bob's and carol's alone.
    func makeLegacyStore() throws -> DatabaseQueue {
        let queue = try DatabaseQueue(path: arbor.path("legacy.db"))
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE conversations(id TEXT PRIMARY KEY, title TEXT);
                    CREATE TABLE participants(conversation_id TEXT, user TEXT);
                    CREATE TABLE messages(id TEXT PRIMARY KEY, conversation_id TEXT, author TEXT, body TEXT, created_at INTEGER);
                    """)
            let conversations = [("lunch", ["alice", "bob"], 5), ("trip", ["alice", "bob"], 3), ("secret", ["bob", "carol"], 2)]
            for (id, users, count) in conversations {
                try db.execute(sql: "INSERT INTO conversations VALUES (?, ?)", arguments: [id, id.capitalized])
                for user in users { try db.execute(sql: "INSERT INTO participants VALUES (?, ?)", arguments: [id, user]) }
                for index in 0..<count {
                    try db.execute(
                        sql: "INSERT INTO messages VALUES (?, ?, ?, ?, ?)",
                        arguments: [
                            "\(id)-\(index)", id, users[index % 2], "\(id) message \(index) from \(users[index % 2])",
                            1_600_000_000 + index,
                        ])
                }
            }
        }
        return queue
    }

    @Test("sign up and migrate, pause and resume, read, verify, roll back, migrate again, confirm")
    func migration() throws {
        defer { arbor.remove() }
        let node = try NodeProcess(arbor, ["serve", "--dev", "--listen", "127.0.0.1:0"], logs: "node")
        defer {
            node.signal(SIGTERM)
            _ = node.waitForExit()
        }
        try arbor.writeSecret("password of alice", to: "alice.pw")
        let legacy = try makeLegacyStore()
        let statePath = arbor.path("legacy.db.arbor-migration.json")

        // The first run signs alice up, then pauses after one batch of 3 (a batch stays in one conversation:
        // "lunch" takes 3 then 2).
        let (paused, first) = try migrate(node, ["--signup", "--batch", "3", "--max-batches", "1"])
        #expect(paused.status == 0, "\(paused.stderr)")
        #expect(first["paused"] as? Bool == true && first["migrated"] as? Int == 3 && first["total"] as? Int == 8, "\(paused.stdout)")
        #expect((first["recoveryCode"] as? [String])?.count == 6)
        let mode = try FileManager.default.attributesOfItem(atPath: statePath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let human = try chat(node, ["migrate", "--from", "legacy.db", "--batch", "3", "--max-batches", "1"])
        #expect(
            human.status == 0 && human.stdout.contains("migrated 5 of 8") && human.stdout.contains("run the same command again"),
            "\(human.stdout)")

        // Resumed to the end; the counts of every run add up.
        let (resumed, second) = try migrate(node, ["--batch", "3"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(second["status"] as? String == "migrated" && second["migrated"] as? Int == 8)
        #expect((second["written"] as? Int).map { 3 + 2 + $0 } == 8, "\(resumed.stdout)")
        let (_, third) = try migrate(node, [])
        #expect(third["written"] as? Int == 0)

        // Read with the legacy authors.
        let listed = try #require(try arbor.json(try chat(node, ["list", "--json"])) as? [[String: Any]])
        #expect(listed.count == 2)
        var texts = ""
        for conversation in listed.compactMap({ $0["conversation"] as? String }) {
            texts += try chat(node, ["read", conversation]).stdout
        }
        #expect(texts.contains("bob (imported by alice") && texts.contains("lunch message 1 from bob"), "\(texts)")
        #expect(!texts.contains("secret"))

        // Verify, then roll back: nothing left on the node, no state.
        let (verified, check) = try migrate(node, ["--verify"])
        #expect(verified.status == 0 && check["checked"] as? Int == 8 && (check["mismatched"] as? [String])?.isEmpty == true)
        let (rolledBack, _) = try migrate(node, ["--rollback"])
        #expect(rolledBack.status == 0, "\(rolledBack.stderr)")
        #expect(try chat(node, ["list"]).stdout.contains("no conversations yet"))
        #expect(!FileManager.default.fileExists(atPath: statePath))

        // Again, to the end; confirming needs a verification and a yes.
        #expect(try migrate(node, []).0.status == 0)
        let early = try chat(node, ["migrate", "--from", "legacy.db", "--confirm", "--yes"])
        #expect(early.status != 0 && early.stderr.contains("verify"), "\(early.stderr)")
        #expect(try migrate(node, ["--verify"]).0.status == 0)
        let unasked = try chat(node, ["migrate", "--from", "legacy.db", "--confirm"])
        #expect(unasked.status != 0 && unasked.stderr.contains("--yes"), "\(unasked.stderr)")
        let (confirmed, _) = try migrate(node, ["--confirm", "--yes"])
        #expect(confirmed.status == 0, "\(confirmed.stderr)")
        let left = try legacy.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT count(*) FROM messages WHERE conversation_id IN ('lunch', 'trip')"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM messages")
            )
        }
        #expect(left.0 == 0 && left.1 == 2)
        let late = try chat(node, ["migrate", "--from", "legacy.db", "--rollback"])
        #expect(late.status != 0 && late.stderr.contains("confirmed"), "\(late.stderr)")
        // The encrypted conversations stay, under the ids the first run gave them (derived, not random).
        let kept = try chat(node, ["list", "--json"]).stdout
        #expect(listed.compactMap { $0["conversation"] as? String }.allSatisfy { kept.contains($0) }, "\(kept)")
    }

    @Test("a file that is no legacy store, or none at all: one line saying so, a non-zero exit")
    func badSource() throws {
        defer { arbor.remove() }
        try arbor.writeSecret("pw", to: "alice.pw")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: arbor.path("notes.db")))
        let node = "http://127.0.0.1:9"
        let base = ["chat", "migrate", "--node", node, "--name", "alice", "--password-file", "alice.pw"]
        let junk = try arbor.run(base + ["--from", "notes.db"])
        #expect(junk.status != 0 && junk.stderr.contains("neither a legacy chat database"), "\(junk.stderr)")
        try Data("{\"chats\": []}".utf8).write(to: URL(fileURLWithPath: arbor.path("export.json")))
        let wrongJSON = try arbor.run(base + ["--legacy", "export.json"])
        #expect(wrongJSON.status != 0 && wrongJSON.stderr.contains("not a legacy chat export"), "\(wrongJSON.stderr)")
        let missing = try arbor.run(base + ["--from", "missing.db"])
        #expect(missing.status != 0 && missing.stderr.contains("missing.db"), "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: arbor.path("missing.db")))
    }
}
