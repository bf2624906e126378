import ArborCore

/// One link of an HSS chain (RFC 8554 section 6.2, `signed_public_key`): the
/// signature by a parent LMS key over a child's public key, then that key.
///
/// In federated use the root produces one per cluster node, once, and the node
/// keeps it to prefix every signature it makes.
public struct HSSSignedPublicKey: Hashable, Sendable {
    /// The parent's LMS signature over `publicKey.bytes`.
    public let signature: LMSSignature
    /// The child's LMS public key.
    public let publicKey: LMSPublicKey

    public init(signature: LMSSignature, publicKey: LMSPublicKey) {
        self.signature = signature
        self.publicKey = publicKey
    }

    /// Parses exactly one link: an LMS signature then an LMS public key.
    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the signed public key")
        try self.init(reading: &reader)
        guard reader.isAtEnd else {
            throw CustodyError(.malformedSignature, "the signed public key has \(reader.remaining) bytes after its end")
        }
    }

    init(reading reader: inout ByteReader) throws {
        let signature = try LMSSignature(reading: &reader)
        do {
            publicKey = try LMSPublicKey(reading: &reader)
        } catch let error as CustodyError where error.code == .malformedPublicKey {
            throw CustodyError(.malformedSignature, "a signed public key inside the signature: \(error.message)")
        }
        self.signature = signature
    }

    public var bytes: [UInt8] {
        signature.bytes + publicKey.bytes
    }
}

extension LMSPrivateKey {
    /// Signs a child key's public key with leaf `q`, making the link that
    /// HSS signatures below this key carry. Internal, like ``sign(_:leaf:)``.
    func signPublicKey(_ child: LMSPublicKey, leaf q: UInt32) throws -> HSSSignedPublicKey {
        HSSSignedPublicKey(signature: try sign(child.bytes, leaf: q), publicKey: child)
    }

    /// Signs a child key's public key with the next leaf of `reservation`.
    public func signPublicKey(_ child: LMSPublicKey, using reservation: LMSLeafReservation) throws -> HSSSignedPublicKey {
        HSSSignedPublicKey(signature: try sign(child.bytes, using: reservation), publicKey: child)
    }
}
