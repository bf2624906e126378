import Crypto

/// Random key pairs that no parent can derive, for transient data only: sessions, caches, data in
/// flight. They are deliberately a separate type with no path and no certificate, so they cannot
/// be mistaken for tree keys; whatever they protect is lost with them.
public struct EphemeralKeySet: Sendable, CustomStringConvertible {
    public let agreement: Curve25519.KeyAgreement.PrivateKey
    public let pqAgreement: XWingMLKEM768X25519.PrivateKey
    public let signing: Curve25519.Signing.PrivateKey
    public let sessionKey: SymmetricKey

    /// Fresh keys from the operating system's CSPRNG.
    public static func generate() throws -> EphemeralKeySet {
        EphemeralKeySet(
            agreement: .init(),
            pqAgreement: try .generate(),
            signing: .init(),
            sessionKey: SymmetricKey(size: .bits256)
        )
    }

    public var description: String { "EphemeralKeySet(redacted)" }
}
