import ArborCore

/// What `root split` wrote: one share file per holder, by name; never the shares.
public struct RootSplitSummary: Codable, Sendable, Equatable {
    /// "arbor-share-v1" or "slip39".
    public let format: String
    public let set: String
    public let rootKeyID: String
    public let files: [String]

    public init(_ shareFiles: RootShareFiles, rootKeyID: KeyID) {
        format = shareFiles.format
        set = shareFiles.set
        self.rootKeyID = rootKeyID.hex
        files = shareFiles.files.map(\.name)
    }
}
