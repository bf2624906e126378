import ArborCore

/// One trusted cluster, as `trust list` shows it: its name, root, revocations held and safety number.
public struct TrustedClusterSummary: Codable, Sendable, Equatable {
    public let cluster: String
    public let rootKeyID: String
    public let revocations: Int
    public let safetyNumber: SafetyNumberSummary

    public init(_ bundle: TrustBundle) {
        cluster = bundle.clusterName
        rootKeyID = bundle.anchor.keyID.hex
        revocations = bundle.revocations.revocations.count
        safetyNumber = SafetyNumberSummary(bundle.safetyNumber)
    }
}
