/// What a rewrap job did: the summary `arbor keyring rewrap FILE` prints at the end, or when it pauses.
public struct RewrapJobReport: Codable, Sendable, Equatable {
    public let keyring: String
    public let targetEpoch: UInt32
    /// Lines of the token file, and how many are done.
    public let totalBytes: Int
    public let doneBytes: Int
    public let lines: Int
    /// Tokens moved to the target epoch, and tokens that were there already (a second run moves none).
    public let rewrapped: Int
    public let alreadyCurrent: Int
    /// The line the job resumed after (0: it started from the beginning).
    public let resumedAfterLine: Int
    /// True when it stopped at a batch boundary on request; run it again to go on.
    public let paused: Bool

    init(_ state: RewrapJobState, resumedAfterLine: Int, paused: Bool) {
        keyring = state.keyring
        targetEpoch = state.targetEpoch
        totalBytes = state.inputSize
        doneBytes = state.consumed
        lines = state.lines
        rewrapped = state.rewrapped
        alreadyCurrent = state.alreadyCurrent
        self.resumedAfterLine = resumedAfterLine
        self.paused = paused
    }
}
