import ArborCore
import ArborOperations
import Testing

/// The resumable token-file rewrap (`RewrapJob`): pause and resume, interruption between a batch's
/// output and its state, idempotence, and the refusals that keep a resumed job from writing nonsense.
struct RewrapJobTests {
    let owner: NodeSecret
    var keyring: MeshKeyring
    let origin = try! TreePath(parsing: "eu/node-7")

    init() throws {
        owner = try RootKey.generate().node.descendant(try TreePath(parsing: "eu"))
        keyring = try MeshKeyring.create(name: "payments", owner: owner)
    }

    /// 23 lines: 15 tokens at epoch 1, then 5 at epoch 2 with a record id after a tab, a blank line,
    /// and two more at epoch 1, the last without a newline. The keyring ends at epoch 2.
    mutating func tokenFile() throws -> (bytes: [UInt8], plaintexts: [String]) {
        var lines: [String] = []
        var plaintexts: [String] = []
        for index in 0..<15 {
            plaintexts.append("card \(index)")
            lines.append(try keyring.seal(Array("card \(index)".utf8), origin: origin, time: 1).text)
        }
        let old = keyring
        try keyring.rotate(owner: owner)
        for index in 15..<20 {
            plaintexts.append("card \(index)")
            lines.append(try keyring.seal(Array("card \(index)".utf8), origin: origin, time: 2).text + "\trecord-\(index)")
        }
        lines.append("")
        for index in 20..<22 {
            plaintexts.append("card \(index)")
            lines.append(try old.seal(Array("card \(index)".utf8), origin: origin, time: 1).text)
        }
        return (Array(lines.joined(separator: "\n").utf8), plaintexts)
    }

    func job(_ files: MemoryJobFiles, batch: Int = 4) throws -> RewrapJob<MemoryJobFiles> {
        try RewrapJob(files: files, keyring: keyring, origin: origin, batchSize: batch)
    }

    /// Every token of the finished file is at the active epoch and opens to its plaintext, with
    /// the record ids and the blank line where they were.
    func expectFinished(_ files: MemoryJobFiles, plaintexts: [String]) throws {
        #expect(files.state == nil && files.output == nil)
        let lines = String(decoding: files.input, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 23)
        #expect(lines[20] == "")
        #expect(!String(decoding: files.input, as: UTF8.self).hasSuffix("\n"))
        let tokens = lines.filter { !$0.isEmpty }
        for (index, line) in tokens.enumerated() {
            let fields = line.split(separator: "\t")
            let token = try MeshToken(text: String(fields[0]))
            #expect(token.provenance.epoch == 2)
            #expect(String(decoding: try keyring.open(token), as: UTF8.self) == plaintexts[index])
            #expect(fields.count == ((15..<20).contains(index) ? 2 : 1))
        }
    }

    @Test mutating func pausedThenResumedItMovesEveryTokenOnceAndASecondRunChangesNothing() throws {
        let (bytes, plaintexts) = try tokenFile()
        let files = MemoryJobFiles(input: bytes)
        var batches = 0
        let paused = try job(files).run(
            time: { 3 },
            shouldPause: {
                batches += 1; return batches == 2
            })
        #expect(paused.paused && paused.lines == 8 && paused.rewrapped == 8 && paused.alreadyCurrent == 0)
        #expect(files.input == bytes, "the token file is untouched until the job is done")
        #expect(files.state?.lines == 8)

        let finished = try job(files).run(time: { 4 })
        #expect(!finished.paused && finished.resumedAfterLine == 8)
        #expect(finished.lines == 23 && finished.rewrapped == 17 && finished.alreadyCurrent == 5)
        try expectFinished(files, plaintexts: plaintexts)

        let again = try job(files).run(time: { 5 })
        #expect(again.rewrapped == 0 && again.alreadyCurrent == 22)
        try expectFinished(files, plaintexts: plaintexts)
    }

    @Test mutating func aCrashBetweenABatchsOutputAndItsStateRepeatsNothing() throws {
        let (bytes, plaintexts) = try tokenFile()
        let files = MemoryJobFiles(input: bytes)
        files.failStateSaveNumber = 3
        #expect(throws: ArborError(.ioFailure, "")) { try job(files).run(time: { 3 }) }
        // The third batch's lines reached the output, but the state still covers two batches.
        #expect(files.state?.lines == 8)
        #expect(files.output!.count > files.state!.outputSize)
        files.failStateSaveNumber = nil
        let finished = try job(files).run(time: { 4 })
        #expect(finished.rewrapped == 17 && finished.resumedAfterLine == 8)
        try expectFinished(files, plaintexts: plaintexts)
    }

    @Test mutating func aBadLineStopsTheJobWithItsNumberAndTheBatchesBeforeItAreKept() throws {
        let (original, plaintexts) = try tokenFile()
        var bytes = original
        var lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let good = lines[9]
        lines[9] = "arbor:v1:not-a-token"
        bytes = Array(lines.joined(separator: "\n").utf8)
        let files = MemoryJobFiles(input: bytes)
        let error = #expect(throws: ArborError.self) { try job(files).run(time: { 3 }) }
        #expect(error?.message.hasPrefix("line 10: ") == true, "\(error?.message ?? "")")
        #expect(files.state?.lines == 9)
        // Mending the line leaves the part done as it was, so the job resumes.
        lines[9] = good
        files.input = Array(lines.joined(separator: "\n").utf8)
        let finished = try job(files).run(time: { 4 })
        #expect(finished.resumedAfterLine == 9)
        try expectFinished(files, plaintexts: plaintexts)
    }

    @Test mutating func aChangedFileOrAKeyringRotatedSinceThePauseIsRefused() throws {
        let (bytes, _) = try tokenFile()
        let files = MemoryJobFiles(input: bytes)
        _ = try job(files).run(time: { 3 }, shouldPause: { true })
        var changed = bytes
        changed[2] ^= 1
        files.input = changed
        #expect(throws: ArborError(.conflict, "")) { try job(files).run(time: { 4 }) }
        files.input = bytes
        try keyring.rotate(owner: owner)
        #expect(throws: ArborError(.conflict, "")) { try job(files).run(time: { 4 }) }
        let other = try RewrapJob(
            files: files, keyring: try MeshKeyring.create(name: "other", owner: owner), origin: origin, batchSize: 4)
        #expect(throws: ArborError(.conflict, "")) { try other.run(time: { 4 }) }
        // An edited state file with a negative offset is refused, not a crash.
        var edited = try #require(files.state)
        edited.consumed = -1
        files.state = edited
        files.input = bytes
        #expect(throws: ArborError(.corruptFile, "")) { try job(files).run(time: { 4 }) }
    }
}

/// A token file and its job files in memory; `failStateSaveNumber` makes that save fail, as a
/// crash after the batch's output was written would.
final class MemoryJobFiles: RewrapJobFiles {
    var input: [UInt8]
    var output: [UInt8]?
    var state: RewrapJobState?
    var failStateSaveNumber: Int?
    private var saves = 0

    init(input: [UInt8]) { self.input = input }

    func readInput() throws -> [UInt8] { input }
    func loadState() throws -> RewrapJobState? { state }

    func saveState(_ state: RewrapJobState) throws {
        saves += 1
        if saves == failStateSaveNumber { throw ArborError(.ioFailure, "the disk went away") }
        self.state = state
    }

    func truncateOutput(to size: Int) throws { output = Array((output ?? []).prefix(size)) }
    func appendOutput(_ bytes: [UInt8]) throws { output! += bytes }

    func finish() throws {
        input = output!
        output = nil
        state = nil
    }
}
