import ArborCore
import Crypto
import Foundation
import SwiftASN1
import X509

/// The check a node makes of the certificate its peer presents in the handshake (both ways), in
/// order (docs/cluster.md, "Channels between nodes"). A pure rule: the caller passes the trust
/// and the time.
public enum PeerVerification {
    /// - Parameters:
    ///   - certificate: the peer's leaf X.509 certificate, DER.
    ///   - time: Unix seconds; the caller reads the clock.
    ///   - expectedPath: the node the caller meant to reach, when it knows.
    public static func verify(
        certificate der: [UInt8], trust: PeerTrust, at time: Int64, expectedPath: TreePath? = nil
    ) throws -> PeerIdentity {
        // 1. The X.509: parses, is self-issued and self-signed by an Ed25519 key, valid now.
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw ArborError(.malformedInput, "the peer's X.509 certificate does not parse")
        }
        guard let key = Curve25519.Signing.PublicKey(certificate.publicKey) else {
            throw ArborError(.malformedInput, "the peer's X.509 key is not an Ed25519 key")
        }
        guard certificate.issuer == certificate.subject, certificate.publicKey.isValidSignature(certificate.signature, for: certificate)
        else {
            throw ArborError(.invalidSignature, "the peer's X.509 certificate is not signed by its own key")
        }
        let instant = Date(timeIntervalSince1970: TimeInterval(time))
        if instant < certificate.notValidBefore {
            throw ArborError(.certificateNotYetValid, "the peer's X.509 certificate is not valid yet; check the clocks")
        }
        if instant > certificate.notValidAfter {
            throw ArborError(.certificateExpired, "the peer's X.509 certificate has expired")
        }
        // 2. The Arbor chain it carries verifies against this cluster's root alone, with the
        //    revocations held now, and ends at a key that may sign.
        let chain = try PeerCertificate.chain(in: certificate)
        let verifier = ChainVerifier(
            anchors: [trust.anchor], revocations: trust.revocations, scope: TrustScope(clusterRoot: trust.anchor.keyID))
        let leaf = try verifier.verify(chain, at: time).leaf
        guard leaf.usage.contains(.sign) else {
            throw ArborError(.usageNotAllowed, "the key of \(leaf.path) may not sign, so it cannot authenticate a channel")
        }
        // 3. The chain's last key is the X.509 key, and the names agree: a certificate cannot
        //    borrow another node's chain.
        guard leaf.publicKeys.signing.rawRepresentation == key.rawRepresentation else {
            throw ArborError(.notAuthorised, "the peer's X.509 key is not the key its chain certifies for \(leaf.path)")
        }
        guard certificate.subject == (try PeerCertificate.subject(path: leaf.path, cluster: chain.root.keyID)) else {
            throw ArborError(.notAuthorised, "the peer's X.509 subject does not name \(leaf.path) of this cluster")
        }
        // 4. The node the caller meant.
        if let expectedPath, expectedPath != leaf.path {
            throw ArborError(.notAuthorised, "the peer is \(leaf.path), not \(expectedPath)")
        }
        return PeerIdentity(chain: chain)
    }

    /// Whether an identity verified earlier still holds under `trust` (a revocation since).
    public static func stillTrusted(_ identity: PeerIdentity, trust: PeerTrust, at time: Int64) -> Bool {
        let verifier = ChainVerifier(
            anchors: [trust.anchor], revocations: trust.revocations, scope: TrustScope(clusterRoot: trust.anchor.keyID))
        return (try? verifier.verify(identity.chain, at: time)) != nil
    }
}
