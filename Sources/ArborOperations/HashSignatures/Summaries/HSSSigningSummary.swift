/// What `hss sign` signed, and how many leaves the key has left.
public struct HSSSigningSummary: Codable, Sendable, Equatable {
    /// One signed message.
    public struct Signed: Codable, Sendable, Equatable {
        /// The message file, or "-" for standard input.
        public let message: String
        /// The signature file, or the signature in hex when it was not written to a file.
        public let signature: String
        public let leaf: UInt32

        public init(message: String, signature: String, leaf: UInt32) {
            self.message = message
            self.signature = signature
            self.leaf = leaf
        }
    }

    public let signatures: [Signed]
    public let remainingLeaves: UInt32

    public init(signatures: [Signed], remainingLeaves: UInt32) {
        self.signatures = signatures
        self.remainingLeaves = remainingLeaves
    }
}
