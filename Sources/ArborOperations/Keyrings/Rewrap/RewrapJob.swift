import ArborCore
import Crypto

/// Moves every token of a token file to its keyring's active epoch (after a rotation, or after a
/// root rekey gave the keyring an epoch under the new tree), in batches, so that a large store can
/// be paused, interrupted and resumed, and run twice without harm.
///
/// Each line is a token, optionally followed by a tab and anything the application keeps with it
/// (a record id), which is copied unchanged; empty lines are copied too. A token already at the
/// active epoch is copied as is. Any other is opened and sealed again under the active epoch, and
/// the new token is opened once more and compared with the old one's plaintext before it is
/// written. After each batch the new lines are made durable, then the state; the token file is
/// replaced, at once, only when every line is done. A line that fails stops the job with its
/// number, with every batch before it kept.
public struct RewrapJob<Files: RewrapJobFiles> {
    public let files: Files
    public let keyring: MeshKeyring
    public let context: [UInt8]
    public let origin: TreePath
    public let batchSize: Int

    public init(files: Files, keyring: MeshKeyring, context: [UInt8] = [], origin: TreePath, batchSize: Int = 1000) throws {
        guard (1...1_000_000).contains(batchSize) else { throw ArborError(.invalidArgument, "a batch has 1 to 1000000 lines") }
        self.files = files
        self.keyring = keyring
        self.context = context
        self.origin = origin
        self.batchSize = batchSize
    }

    /// Runs until the file is done, or until `shouldPause` says so at a batch boundary.
    /// - Parameters:
    ///   - time: the sealing time for each new token, in milliseconds.
    ///   - progress: called after each batch with the state saved.
    public func run(
        time: () -> Int64, shouldPause: () -> Bool = { false }, progress: (RewrapJobState) -> Void = { _ in }
    ) throws -> RewrapJobReport {
        let input = try files.readInput()
        var state = try resumedState(input: input)
        let resumedAfterLine = state.lines
        try files.truncateOutput(to: state.outputSize)
        var digest = SHA256()
        digest.update(data: input[0..<state.consumed])
        var pending: [UInt8] = []
        var pendingLines = 0
        var offset = state.consumed

        /// Makes the batch durable: the new lines first, then the state that covers them.
        func flush() throws {
            guard pendingLines > 0 else { return }
            try files.appendOutput(pending)
            digest.update(data: input[state.consumed..<offset])
            state.consumed = offset
            state.consumedDigest = Hex.encode(Array(digest.finalize()))
            state.outputSize += pending.count
            state.lines += pendingLines
            try files.saveState(state)
            pending.removeAll(keepingCapacity: true)
            pendingLines = 0
            progress(state)
        }

        while offset < input.count {
            let end = input[offset...].firstIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? input.count
            do {
                pending += try rewrapped(line: input[offset..<end], state: &state, time: time())
            } catch let error as ArborError {
                try flush()
                throw ArborError(error.code, "line \(state.lines + 1): \(error.message)")
            }
            pendingLines += 1
            offset = end
            if pendingLines == batchSize {
                try flush()
                if offset < input.count, shouldPause() { return RewrapJobReport(state, resumedAfterLine: resumedAfterLine, paused: true) }
            }
        }
        try flush()
        try files.finish()
        return RewrapJobReport(state, resumedAfterLine: resumedAfterLine, paused: false)
    }

    /// One line of output for one line of input; counts it.
    private func rewrapped(line: ArraySlice<UInt8>, state: inout RewrapJobState, time: Int64) throws -> [UInt8] {
        let newline = line.last == UInt8(ascii: "\n") ? [UInt8(ascii: "\n")] : []
        let content = line.dropLast(newline.count)
        guard !content.isEmpty else { return Array(line) }
        let tab = content.firstIndex(of: UInt8(ascii: "\t")) ?? content.endIndex
        let token = try MeshToken(text: String(decoding: content[..<tab], as: UTF8.self))
        guard token.provenance.epoch != state.targetEpoch else {
            state.alreadyCurrent += 1
            return Array(line)
        }
        var plaintext = try keyring.open(token, context: context)
        defer { plaintext.wipe() }
        let new = try keyring.seal(plaintext, context: context, origin: origin, time: time)
        var check = try keyring.open(new, context: context)
        defer { check.wipe() }
        guard constantTimeEqual(check, plaintext) else {
            throw ArborError(.authenticationFailed, "the rewrapped token did not open to the same plaintext; nothing was written for it")
        }
        state.rewrapped += 1
        return Array(new.text.utf8) + Array(content[tab...]) + newline
    }

    /// The saved state if it belongs to this file and keyring, else a fresh one.
    private func resumedState(input: [UInt8]) throws -> RewrapJobState {
        let identifier = Hex.encode(keyring.identifier)
        guard let saved = try files.loadState() else {
            return RewrapJobState(
                keyring: identifier, targetEpoch: keyring.activeEpoch, inputSize: input.count,
                consumedDigest: Hex.encode(Array(SHA256.hash(data: []))), consumed: 0, outputSize: 0, lines: 0, rewrapped: 0,
                alreadyCurrent: 0)
        }
        // The state file is JSON anyone with the file may edit: its numbers are bounded before use.
        guard saved.consumed >= 0, saved.outputSize >= 0, saved.lines >= 0, saved.rewrapped >= 0, saved.alreadyCurrent >= 0 else {
            throw ArborError(.corruptFile, "the job's state file holds a negative count; delete it to start over")
        }
        guard saved.keyring == identifier else {
            throw ArborError(.conflict, "the paused job was for another keyring; finish it with that keyring, or delete its state file")
        }
        guard saved.targetEpoch == keyring.activeEpoch else {
            throw ArborError(
                .conflict,
                "the keyring's active epoch is \(keyring.activeEpoch), but the paused job moves tokens to epoch \(saved.targetEpoch); delete its state file and run again (tokens already at the active epoch are skipped)"
            )
        }
        // Only the part done must be as it was: a failed line may be mended, lines may be added.
        guard saved.consumed <= input.count, Hex.encode(Array(SHA256.hash(data: input[0..<saved.consumed]))) == saved.consumedDigest
        else {
            throw ArborError(
                .conflict, "the token file changed since the job paused; restore it, or delete the job's state file to start over")
        }
        return saved
    }
}
