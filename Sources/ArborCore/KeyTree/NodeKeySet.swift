import Crypto
import Foundation

/// The key pairs and storage keys of one node at one epoch, all derived from its epoch secret
/// through the swift-crypto seed representations, so the same path gives the same keys anywhere.
public struct NodeKeySet: Sendable, CustomStringConvertible {
    public let path: TreePath
    public let epoch: UInt32
    public let signing: Curve25519.Signing.PrivateKey
    public let pqSigning: MLDSA65.PrivateKey
    public let agreement: Curve25519.KeyAgreement.PrivateKey
    public let pqAgreement: XWingMLKEM768X25519.PrivateKey
    /// Computed once: deriving the ML-DSA-65 public key from its private key is costly, and every
    /// signature check against this node's own keys (each decrypt of a signed token) needs it.
    public let publicKeys: PublicKeySet
    private let storageSeed: SymmetricKey

    init(secret: NodeSecret) throws {
        let epochSecret = secret.epochSecret
        func seed(_ name: String) -> SymmetricKey { KeyDerivation.keySeed(of: epochSecret, name: name) }
        path = secret.path
        epoch = secret.epoch
        signing = try Curve25519.Signing.PrivateKey(rawRepresentation: seed("ed25519"))
        pqSigning = try seed("ml-dsa-65").withUnsafeBytes { try MLDSA65.PrivateKey(seedRepresentation: $0, publicKey: nil) }
        agreement = try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: seed("x25519"))
        pqAgreement = try seed("x-wing").withUnsafeBytes {
            try XWingMLKEM768X25519.PrivateKey(seedRepresentation: $0, publicKey: nil)
        }
        storageSeed = seed("storage")
        publicKeys = PublicKeySet(
            signing: signing.publicKey, pqSigning: pqSigning.publicKey, agreement: agreement.publicKey,
            pqAgreement: pqAgreement.publicKey)
    }

    public var keyID: KeyID { publicKeys.keyID }

    /// A symmetric key for data this node stores, one per purpose. Its parent can derive it too,
    /// which is what lets an ancestor recover a descendant's data.
    public func storageKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.expand(
            pseudoRandomKey: storageSeed,
            info: Array("arbor/v1/storage".utf8) + [0] + Array(purpose.utf8),
            outputByteCount: 32
        )
    }

    public var description: String { "NodeKeySet(\(path), epoch \(epoch), key \(keyID.shortHex))" }
}
