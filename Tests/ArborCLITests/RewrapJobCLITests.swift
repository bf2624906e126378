import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor keyring rewrap TOKEN-FILE`: the resumable job through the real executable, paused by
/// --pause-after and by Ctrl-C (SIGINT), resumed, and run a second time.
@Suite("arbor keyring rewrap: the token-file job", .serialized)
struct RewrapJobCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A keyring of eu at epoch 2, and `tokens.txt`: `count` copies of one epoch-1 token, each
    /// line followed by a tab and a record id.
    func tokenFile(count: Int) throws -> String {
        try arbor.initRoot()
        #expect(try arbor.run(["derive", "eu", "--root", "root.key", "--passphrase-file", "pass", "-o", "eu.key"]).status == 0)
        #expect(try arbor.run(["keyring", "create", "payments", "--key", "eu.key"]).status == 0)
        let sealed = try arbor.run(["keyring", "seal", "payments", "--origin", "eu"], input: Data("card 4111".utf8))
        #expect(sealed.status == 0, "\(sealed.stderr)")
        #expect(try arbor.run(["keyring", "rotate", "payments", "--key", "eu.key"]).status == 0)
        let token = sealed.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let lines = (0..<count).map { "\(token)\trecord-\($0)" }.joined(separator: "\n") + "\n"
        try lines.write(toFile: arbor.path("tokens.txt"), atomically: true, encoding: .utf8)
        return token
    }

    func json(_ outcome: ArborExecutable.Outcome) throws -> [String: Any] {
        try #require(try arbor.json(outcome) as? [String: Any], "stdout: \(outcome.stdout) stderr: \(outcome.stderr)")
    }

    /// Every line holds an epoch-2 token that opens to the plaintext, and its record id.
    func expectAllMoved(count: Int, from oldToken: String) throws {
        let lines = try String(contentsOfFile: arbor.path("tokens.txt"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == count)
        #expect(lines.allSatisfy { !$0.hasPrefix(oldToken) })
        for index in [0, count / 2, count - 1] {
            let fields = lines[index].split(separator: "\t")
            #expect(fields.last.map(String.init) == "record-\(index)")
            let shown = try json(try arbor.run(["inspect", String(fields[0]), "--json"]))
            #expect((shown["token"] as? [String: Any])?["epoch"] as? Int == 2, "\(shown)")
            let opened = try arbor.run(["keyring", "open", "payments"], input: Data(fields[0].utf8))
            #expect(opened.stdout == "card 4111", "\(opened.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: arbor.path("tokens.txt.rewrap-state")))
        #expect(!FileManager.default.fileExists(atPath: arbor.path("tokens.txt.rewrap")))
    }

    @Test("--pause-after pauses at a batch boundary; the same command resumes; a second run moves nothing")
    func pauseAndResume() throws {
        defer { arbor.remove() }
        let token = try tokenFile(count: 250)
        let job = ["keyring", "rewrap", "payments", "tokens.txt", "--origin", "eu/node-7", "--batch", "100", "--json"]
        let paused = try json(try arbor.run(job + ["--pause-after", "1"]))
        #expect(paused["paused"] as? Bool == true)
        #expect(paused["lines"] as? Int == 100 && paused["rewrapped"] as? Int == 100)
        #expect(try String(contentsOfFile: arbor.path("tokens.txt"), encoding: .utf8).hasPrefix(token), "untouched until done")
        let stateMode = try FileManager.default.attributesOfItem(atPath: arbor.path("tokens.txt.rewrap-state"))[.posixPermissions]
        #expect((stateMode as? NSNumber)?.intValue == 0o600)

        let finished = try json(try arbor.run(job))
        #expect(finished["paused"] as? Bool == false)
        #expect(finished["resumedAfterLine"] as? Int == 100)
        #expect(finished["lines"] as? Int == 250 && finished["rewrapped"] as? Int == 250)
        try expectAllMoved(count: 250, from: token)

        let again = try json(try arbor.run(job))
        #expect(again["rewrapped"] as? Int == 0 && again["alreadyCurrent"] as? Int == 250)
        let text = try arbor.run(Array(job.dropLast()))
        #expect(text.stdout.contains("rewrapped tokens.txt: 250 lines, 0 tokens moved to epoch 2, 250 already there"), "\(text.stdout)")
    }

    @Test("Ctrl-C pauses the job after the batch under way (exit 130); running it again finishes")
    func interruptAndResume() throws {
        defer { arbor.remove() }
        let token = try tokenFile(count: 1000)
        // One line per batch: every line is made durable on its own, so the job lasts long enough to interrupt.
        let job = ["keyring", "rewrap", "payments", "tokens.txt", "--origin", "eu/node-7", "--batch", "1", "--json"]
        let process = Process()
        process.executableURL = arbor.url
        process.arguments = job
        process.currentDirectoryURL = arbor.directory
        process.environment = ProcessInfo.processInfo.environment.merging(["ARBOR_KEYRINGS": arbor.path("keyrings")]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        while !FileManager.default.fileExists(atPath: arbor.path("tokens.txt.rewrap-state")) && process.isRunning {
            usleep(2_000)
        }
        kill(process.processIdentifier, SIGINT)
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        if process.terminationStatus == 0 {
            // The machine finished 1000 durable batches before the signal landed: nothing to resume.
            print("rewrap job: finished before SIGINT arrived; the interruption was not exercised")
            try expectAllMoved(count: 1000, from: token)
            return
        }
        #expect(process.terminationStatus == 130)
        let paused = try #require(try JSONSerialization.jsonObject(with: stdout) as? [String: Any])
        #expect(paused["paused"] as? Bool == true)
        let done = try #require(paused["lines"] as? Int)
        #expect(done > 0 && done < 1000)

        // Resumed with larger batches: the state does not depend on the batch size.
        let finished = try json(try arbor.run(Array(job.dropLast(3)) + ["--batch", "500", "--json"]))
        #expect(finished["resumedAfterLine"] as? Int == done)
        #expect(finished["rewrapped"] as? Int == 1000)
        try expectAllMoved(count: 1000, from: token)
    }
}
