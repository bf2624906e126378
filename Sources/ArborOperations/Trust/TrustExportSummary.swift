import ArborCore

/// What `trust export` wrote: the bundle and the safety number its importer must compare.
public struct TrustExportSummary: Codable, Sendable, Equatable {
    public let bundleFile: String
    public let cluster: String
    public let rootKeyID: String
    public let safetyNumber: SafetyNumberSummary

    public init(_ bundle: TrustBundle, bundleFile: String) {
        self.bundleFile = bundleFile
        cluster = bundle.clusterName
        rootKeyID = bundle.anchor.keyID.hex
        safetyNumber = SafetyNumberSummary(bundle.safetyNumber)
    }
}
