/// How far a rewrap job has got, saved after every batch so that a paused or interrupted job
/// resumes where it stopped. It holds counts and offsets, never a token or a plaintext.
public struct RewrapJobState: Codable, Sendable, Equatable {
    /// The keyring's identifier (hex) and the epoch every token is moved to.
    public var keyring: String
    public var targetEpoch: UInt32
    /// The token file's size as last read, and the SHA-256 (hex) of the part done, so that a file
    /// whose finished part changed in between is noticed before anything is written.
    public var inputSize: Int
    public var consumedDigest: String
    /// Bytes of the token file done, and the bytes of new output they became.
    public var consumed: Int
    public var outputSize: Int
    public var lines: Int
    public var rewrapped: Int
    public var alreadyCurrent: Int
}
