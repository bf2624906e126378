import ArborCore
import ArborSeal

/// The new node's half of enrollment: open the sealed bundle with the one-time key and believe it
/// only if the expected parent signed it for this key, in time (`EnrollmentBundle.verify`).
public enum EnrollmentOpening {
    /// - Parameters:
    ///   - file: the age file (binary or armored).
    ///   - oneTimeKey: the node's one-time `AGE-SECRET-KEY-PQ-1…` identity.
    ///   - time: Unix seconds; the caller reads the clock.
    public static func open(
        _ file: [UInt8], oneTimeKey: AgeIdentity, expecting expectation: EnrollmentExpectation, at time: Int64
    ) throws -> EnrollmentBundle {
        guard let publicKey = oneTimeKey.recipient?.xWingPublicKey else {
            throw ArborError(.invalidArgument, "the one-time enrollment key must be a post-quantum (X-Wing) identity")
        }
        let keyID = try EnrollmentKeyID(xWingPublicKey: publicKey)
        var plaintext: [UInt8]
        do {
            plaintext = try Age.decrypt(file, identities: [oneTimeKey])
        } catch let error as ArborError where error.code == .noMatchingKey {
            throw ArborError(
                .noMatchingKey, "the enrollment bundle is not sealed to this node's one-time key; it was made for another node")
        }
        let bundle: EnrollmentBundle
        do {
            bundle = try EnrollmentBundle(encoded: SecretBytes(consuming: &plaintext))
        } catch let error as ArborError where error.category == .badInput {
            throw ArborError(.corruptFile, "the enrollment bundle is damaged: \(error.message)")
        }
        try bundle.verify(expecting: expectation, oneTimeKey: keyID, at: time)
        return bundle
    }
}
