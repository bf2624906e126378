import ArborCore

/// What an enrollment bundle holds, without its secrets: for `arbor enroll issue`, the parent
/// node's API and the new node's report.
public struct EnrollmentSummary: Codable, Sendable, Equatable {
    public let node: String
    public let keyID: String
    public let parent: String
    public let code: String
    public let issuedAt: String
    public let expiresAt: String
    public let keyrings: [String]
    public let trustedClusters: [String]
    public let etcdEndpoints: [String]

    public init(_ bundle: EnrollmentBundle) {
        node = bundle.node.path.description
        keyID = bundle.nodeChain.leaf.keyID.hex
        parent = bundle.parentChain.leaf.path.description
        code = bundle.keyID.code
        issuedAt = Timestamp.format(bundle.issuedAt)
        expiresAt = Timestamp.format(bundle.expiresAt)
        keyrings = bundle.keyrings.map(\.name)
        trustedClusters = bundle.trustBundles.map(\.clusterName)
        etcdEndpoints = bundle.etcdEndpoints
    }

    public var text: String {
        var lines = [
            "node \(node) (key \(keyID.prefix(16))), enrolled by \(parent)",
            "valid \(issuedAt) … \(expiresAt), one-time key code \(code)",
        ]
        if !keyrings.isEmpty { lines.append("keyrings: \(keyrings.joined(separator: ", "))") }
        if !trustedClusters.isEmpty { lines.append("trusted clusters: \(trustedClusters.joined(separator: ", "))") }
        if !etcdEndpoints.isEmpty { lines.append("etcd: \(etcdEndpoints.joined(separator: " "))") }
        return lines.joined(separator: "\n")
    }
}
