import ArborCore

/// What `derive` wrote: the descendant's key file, path, epoch and key id.
public struct DerivationSummary: Codable, Sendable, Equatable {
    public let path: String
    public let keyFile: String
    public let epoch: UInt32
    public let keyID: String

    public init(_ secret: NodeSecret, path: TreePath, keyFile: String) throws {
        self.path = path.description
        self.keyFile = keyFile
        epoch = secret.epoch
        keyID = try secret.keySet().keyID.hex
    }
}
