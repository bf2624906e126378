/// Where a rewrap job reads its tokens and keeps its progress (`RewrapJobDirectory` in
/// ArborKeyStore: files beside the token file). The job decides what to write; this moves bytes.
public protocol RewrapJobFiles {
    /// The token file, one token per line.
    func readInput() throws -> [UInt8]
    func loadState() throws -> RewrapJobState?
    /// Replaces the saved state at once (a crash leaves the old state or the new, never half).
    func saveState(_ state: RewrapJobState) throws
    /// Cuts the pending output back to `size` bytes (what the saved state covers), creating it empty if need be.
    func truncateOutput(to size: Int) throws
    /// Appends to the pending output and makes it durable before returning.
    func appendOutput(_ bytes: [UInt8]) throws
    /// Puts the pending output in place of the token file at once, then forgets the state.
    func finish() throws
}
