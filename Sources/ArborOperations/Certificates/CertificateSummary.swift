import ArborCore
import ArborSeal

/// A certificate's public fields, as `cert show` prints them and the server returns them.
public struct CertificateSummary: Codable, Sendable, Equatable {
    public let path: String
    public let epoch: UInt32
    public let kind: String
    public let keyID: String
    public let issuerKeyID: String
    public let usage: [String]
    public let notBefore: String
    public let notAfter: String
    /// The node's age recipients, when its certificate allows key agreement and they were asked for.
    public let ageRecipient: String?
    public let ageRecipientX25519: String?

    public init(_ certificate: KeyCertificate) { self.init(certificate, includingRecipients: true) }

    /// Without `includingRecipients`, the age recipients are left out: the post-quantum one alone
    /// is about 2 kB, which buries the rest of a chain.
    public init(_ certificate: KeyCertificate, includingRecipients: Bool) {
        path = certificate.path.description
        epoch = certificate.epoch
        kind =
            switch certificate.kind {
            case .root: "root"
            case .issuedByParent: "issued-by-parent"
            case .selfRekey: "self-rekey"
            }
        keyID = certificate.keyID.hex
        issuerKeyID = certificate.issuerKeyID.hex
        usage = certificate.usage.names
        notBefore = Timestamp.format(certificate.validity.notBefore)
        notAfter = Timestamp.format(certificate.validity.notAfter)
        let agrees = includingRecipients && certificate.usage.contains(.keyAgreement)
        ageRecipient = agrees ? AgeRecipient.postQuantum(of: certificate.publicKeys).encoded : nil
        ageRecipientX25519 = agrees ? AgeRecipient.x25519(of: certificate.publicKeys).encoded : nil
    }
}
