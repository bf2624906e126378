import Crypto

/// A node's public keys: what a certificate binds to a path.
public struct PublicKeySet: Sendable, Hashable {
    public let signing: Curve25519.Signing.PublicKey
    public let pqSigning: MLDSA65.PublicKey
    public let agreement: Curve25519.KeyAgreement.PublicKey
    public let pqAgreement: XWingMLKEM768X25519.PublicKey

    public static let ed25519Size = 32
    public static let mlDSA65Size = 1952
    public static let x25519Size = 32
    public static let xWingSize = 1216
    public static let encodedSize = ed25519Size + mlDSA65Size + x25519Size + xWingSize

    public init(
        signing: Curve25519.Signing.PublicKey,
        pqSigning: MLDSA65.PublicKey,
        agreement: Curve25519.KeyAgreement.PublicKey,
        pqAgreement: XWingMLKEM768X25519.PublicKey
    ) {
        self.signing = signing
        self.pqSigning = pqSigning
        self.agreement = agreement
        self.pqAgreement = pqAgreement
    }

    /// Ed25519 ‖ ML-DSA-65 ‖ X25519 ‖ X-Wing, raw encodings, fixed sizes.
    public var encoded: [UInt8] {
        Array(signing.rawRepresentation) + Array(pqSigning.rawRepresentation)
            + Array(agreement.rawRepresentation) + Array(pqAgreement.rawRepresentation)
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a public key set")
        try self.init(reading: &reader)
        try reader.expectEnd()
    }

    init(reading reader: inout ByteReader) throws {
        do {
            signing = try .init(rawRepresentation: try reader.read(count: Self.ed25519Size))
            pqSigning = try .init(rawRepresentation: try reader.read(count: Self.mlDSA65Size))
            agreement = try .init(rawRepresentation: try reader.read(count: Self.x25519Size))
            pqAgreement = try .init(rawRepresentation: try reader.read(count: Self.xWingSize))
        } catch let error as ArborError {
            throw error
        } catch {
            throw ArborError.malformed("\(reader.context) holds a public key that does not parse")
        }
    }

    /// SHA-256("arbor/v1/key-id" 0x00 ‖ encoded).
    public var keyID: KeyID { KeyID(publicKeys: encoded) }

    public static func == (lhs: PublicKeySet, rhs: PublicKeySet) -> Bool { lhs.encoded == rhs.encoded }
    public func hash(into hasher: inout Hasher) { hasher.combine(encoded) }
}
