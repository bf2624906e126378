import ArborCore
import Crypto

extension AgeRecipient {
    /// The raw X-Wing public key (1216 bytes) of a post-quantum `age1pq1…` recipient; nil for any
    /// other kind. Enrollment names the one-time key by it (`EnrollmentKeyID`).
    public var xWingPublicKey: [UInt8]? {
        if case .mlkem768x25519(let key) = kind { return Array(key.rawRepresentation) }
        return nil
    }
}
