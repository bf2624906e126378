import ArborCore

/// A cluster root's safety number, as `fingerprint` shows it, from a root certificate, a chain or
/// a trust bundle. The root must be a valid self-signed root certificate: a number computed from
/// anything else would be compared in person for nothing.
public struct RootFingerprintSummary: Codable, Sendable, Equatable {
    public let rootKeyID: String
    public let safetyNumber: SafetyNumberSummary

    /// - Parameter name: how the file is named in errors.
    public init(armored text: String, named name: String) throws {
        let root: KeyCertificate =
            switch Armor.label(of: text) {
            case TrustBundle.armorLabel: try TrustBundle(armored: text).chain.root
            case CertificateChain.armorLabel: try CertificateChain(armored: text).root
            default: throw ArborError(.malformedInput, "'\(name)' is not a root certificate, chain or trust bundle")
            }
        guard root.kind == .root, root.isSigned(by: root.publicKeys) else {
            throw ArborError(.invalidSignature, "'\(name)' does not start with a valid self-signed root certificate")
        }
        rootKeyID = root.keyID.hex
        safetyNumber = SafetyNumberSummary(SafetyNumber(rootKeys: root.publicKeys))
    }
}
