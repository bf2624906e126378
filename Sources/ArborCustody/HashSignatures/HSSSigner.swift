/// Signs HSS signatures with the bottom-level key of a chain whose upper links
/// were signed once, in advance.
///
/// This is what makes federated HSS work: the root keeps the top-level LMS key
/// offline and signs each cluster node's own LMS public key once
/// (``LMSPrivateKey/signPublicKey(_:using:)``); each node then builds an
/// `HSSSigner` from the root's HSS public key, that link and its own key, and
/// signs alone. Its signatures verify under the root's ``HSSPublicKey``.
public struct HSSSigner: Sendable {
    public let publicKey: HSSPublicKey
    /// The L - 1 links from the top key down to ``key``.
    public let chain: [HSSSignedPublicKey]
    /// The bottom-level key that signs messages.
    public let key: LMSPrivateKey

    /// Checks that `chain` links `publicKey` down to `key` before accepting it,
    /// so a wrong or corrupted link fails here rather than in every verifier.
    public init(publicKey: HSSPublicKey, chain: [HSSSignedPublicKey], key: LMSPrivateKey) throws {
        guard chain.count == publicKey.levels - 1 else {
            throw CustodyError.invalidParameters(
                "an HSS key of \(publicKey.levels) levels needs \(publicKey.levels - 1) signed public keys, not \(chain.count)")
        }
        var upper = publicKey.topKey
        for (index, link) in chain.enumerated() {
            guard upper.isValidSignature(link.signature, for: link.publicKey.bytes) else {
                throw CustodyError.invalidParameters("signed public key \(index + 1) is not signed by the level above it")
            }
            upper = link.publicKey
        }
        guard upper == key.publicKey else {
            throw CustodyError.invalidParameters("the chain does not end at this signer's LMS public key")
        }
        self.publicKey = publicKey
        self.chain = chain
        self.key = key
    }

    /// Signs with bottom-level leaf `q`; internal, as ``LMSPrivateKey/sign(_:leaf:)`` is.
    func sign(_ message: [UInt8], leaf q: UInt32) throws -> HSSSignature {
        HSSSignature(signedPublicKeys: chain, messageSignature: try key.sign(message, leaf: q))
    }

    /// Signs with the next leaf of `reservation` (made for the bottom key).
    public func sign(_ message: [UInt8], using reservation: LMSLeafReservation) throws -> HSSSignature {
        HSSSignature(signedPublicKeys: chain, messageSignature: try key.sign(message, using: reservation))
    }
}
