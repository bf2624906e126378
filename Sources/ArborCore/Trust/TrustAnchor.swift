/// A cluster root this node trusts: its own, or another cluster's imported after an in-person
/// check of the safety number.
public struct TrustAnchor: Sendable, Equatable {
    public let name: String
    public let rootCertificate: KeyCertificate

    public init(name: String, rootCertificate: KeyCertificate) throws {
        guard rootCertificate.kind == .root, rootCertificate.isSigned(by: rootCertificate.publicKeys) else {
            throw ArborError(.invalidSignature, "a trust anchor must be a valid self-signed root certificate")
        }
        self.name = name
        self.rootCertificate = rootCertificate
    }

    public var keyID: KeyID { rootCertificate.keyID }
    public var safetyNumber: SafetyNumber { SafetyNumber(rootKeys: rootCertificate.publicKeys) }
}
