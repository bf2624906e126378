import ArborCore
import Crypto

/// An account's identity (docs/e2ee.md §5): an X-Wing key to receive conversation keys, and an
/// Ed25519 and an ML-DSA-65 key to sign, each from a 32-byte seed in the representation both
/// swift-crypto and WebCrypto (`raw-seed`; Ed25519 as the PKCS #8 seed) import. The three seeds,
/// in that order, are what the master key wraps.
public struct IdentityKeys: Sendable, CustomStringConvertible {
    public static let seedsSize = 96

    public let receiving: XWingMLKEM768X25519.PrivateKey
    public let signing: Curve25519.Signing.PrivateKey
    public let pqSigning: MLDSA65.PrivateKey
    let seeds: SecretBytes

    /// Fresh random seeds.
    public static func generate() throws -> IdentityKeys {
        var seeds = randomBytes(seedsSize)
        return try IdentityKeys(seeds: SecretBytes(consuming: &seeds))
    }

    /// x-wing seed (32) ‖ ed25519 seed (32) ‖ ml-dsa-65 seed (32).
    public init(seeds: SecretBytes) throws {
        guard seeds.count == Self.seedsSize else {
            throw ArborError(.authenticationFailed, "the identity seeds are \(Self.seedsSize) bytes; these are not an account's")
        }
        (receiving, signing, pqSigning) = try seeds.withUnsafeBytes { bytes in
            let seed = { (index: Int) in UnsafeRawBufferPointer(rebasing: bytes[(index * 32)..<(index * 32 + 32)]) }
            return (
                try XWingMLKEM768X25519.PrivateKey(seedRepresentation: seed(0), publicKey: nil),
                try Curve25519.Signing.PrivateKey(rawRepresentation: seed(1)),
                try MLDSA65.PrivateKey(seedRepresentation: seed(2), publicKey: nil)
            )
        }
        self.seeds = seeds
    }

    public var publicKeys: IdentityPublicKeys {
        IdentityPublicKeys(
            receiving: Array(receiving.publicKey.rawRepresentation), signing: Array(signing.publicKey.rawRepresentation),
            pqSigning: Array(pqSigning.publicKey.rawRepresentation))
    }

    public func wrapped(under master: SymmetricKey, account: AccountID) throws -> WrappedKey {
        try WrappedKey.seal(seeds, under: master, as: .identity, account: account)
    }

    public static func unwrap(_ wrapped: WrappedKey, under master: SymmetricKey, account: AccountID) throws -> IdentityKeys {
        try IdentityKeys(seeds: try wrapped.open(under: master, as: .identity, account: account))
    }
}

/// The public half of an account's identity, as the server stores and hands out: X-Wing 1216
/// bytes, Ed25519 32, ML-DSA-65 1952.
public struct IdentityPublicKeys: Sendable, Equatable {
    public let receiving: [UInt8]
    public let signing: [UInt8]
    public let pqSigning: [UInt8]

    public init(receiving: [UInt8], signing: [UInt8], pqSigning: [UInt8]) {
        self.receiving = receiving
        self.signing = signing
        self.pqSigning = pqSigning
    }
}

extension IdentityKeys {
    public var description: String { "IdentityKeys(redacted)" }
}
