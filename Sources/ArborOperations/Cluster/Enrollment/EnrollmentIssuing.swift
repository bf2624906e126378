import ArborCore
import ArborSeal

/// The parent's half of enrollment (an operator with the parent key, or a running parent node):
/// certify the new node, pack and sign its bundle, and seal it to the node's one-time key.
public enum EnrollmentIssuing {
    /// The sealed bundle (a binary age file, `mlkem768x25519` recipient) with what it holds.
    public struct Issued: Sendable {
        public let file: [UInt8]
        public let summary: EnrollmentSummary
    }

    /// - Parameters:
    ///   - armored: the age file in its armored text form (for JSON answers) instead of binary.
    ///   - now: Unix seconds; the caller reads the clock.
    public static func issue(_ request: EnrollmentRequest, by parent: Issuer, armored: Bool = false, now: Int64) throws -> Issued {
        let recipient = try AgeRecipient(parsing: request.recipient)
        guard let publicKey = recipient.xWingPublicKey else {
            throw ArborError(
                .invalidArgument, "an enrollment is sealed to the new node's one-time post-quantum key (age1pq1…), which it prints")
        }
        let keyID = try EnrollmentKeyID(xWingPublicKey: publicKey)
        guard try keyID.matches(code: request.code) else {
            throw ArborError(
                .fingerprintMismatch,
                "the code does not match this recipient (its code is \(keyID.code)): the recipient may have been swapped on the way; read both again from the new node"
            )
        }
        guard (60...30 * 86_400).contains(request.lifetime) else {
            throw ArborError(.invalidArgument, "an enrollment bundle lives 60 seconds to 30 days")
        }
        let issued = try parent.certify(
            request.path, usage: request.usage, validity: try .days(request.validityDays, from: now))
        let bundle = try EnrollmentBundle(
            for: keyID, issuedAt: now, expiresAt: now + request.lifetime, node: issued.secret, nodeChain: issued.chain,
            parent: parent, keyrings: request.keyrings, trustBundles: request.trustBundles, etcdEndpoints: request.etcdEndpoints)
        var plaintext = bundle.encoded.withUnsafeBytes { Array($0) }
        defer { plaintext.wipe() }
        let file = try Age.encrypt(plaintext, to: [recipient], armored: armored)
        return Issued(file: file, summary: EnrollmentSummary(bundle))
    }
}
