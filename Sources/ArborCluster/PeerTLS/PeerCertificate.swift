import ArborCore
import Crypto
import Foundation
import SwiftASN1
import X509

/// The X.509 certificate a node presents on the channels between nodes (docs/cluster.md,
/// "Channels between nodes").
///
/// Its key is the node's Ed25519 signing key, and it is self-issued by that key: the authority is
/// the Arbor certificate chain it carries in a non-critical extension, which the peer verifies with
/// both signature algorithms against the cluster's root. An X.509 issuer would only add a second
/// hierarchy to keep in step with the tree (and the root key stays offline), so the X.509 layer
/// says no more than "this key, for this path, for now".
public enum PeerCertificate {
    /// `2.25.3291012200173787654`: the extension whose value is an OCTET STRING holding the
    /// certificate chain (docs/keys.md §14). Under the UUID arc 2.25 (ITU-T X.667, no registration),
    /// with a random 63-bit number: SwiftASN1 (and so swift-certificates) keeps each arc in a
    /// `UInt`, so a full 128-bit UUID arc would make the whole certificate unparseable.
    public static let chainExtensionOID: ASN1ObjectIdentifier = [2, 25, 3_291_012_200_173_787_654]

    /// A certificate is made for a day at most, and starts a little in the past so that a peer
    /// whose clock is behind still accepts it.
    public static let lifetime: Int64 = 24 * 3600
    public static let backdating: Int64 = 300

    /// The certificate of `keys` at `time`: valid from `time - backdating` for `lifetime` seconds,
    /// never beyond the Arbor certificate of the node.
    public static func make(keys: NodeKeySet, chain: CertificateChain, at time: Int64) throws -> Certificate {
        guard chain.leaf.validity.contains(time) else {
            throw ArborError(
                .certificateExpired,
                "the certificate of \(chain.leaf.path) is not valid now; the node needs a new one ('arbor cert issue') to talk to its peers"
            )
        }
        let notAfter = min(time + lifetime, chain.leaf.validity.notAfter)
        return try make(keys: keys, chain: chain, notBefore: max(time - backdating, chain.leaf.validity.notBefore), notAfter: notAfter)
    }

    /// The certificate of `keys` for an explicit validity (Unix seconds, inclusive).
    public static func make(keys: NodeKeySet, chain: CertificateChain, notBefore: Int64, notAfter: Int64) throws -> Certificate {
        guard chain.leaf.publicKeys == keys.publicKeys else {
            throw ArborError(.invalidArgument, "the certificate chain does not end at the key of \(keys.path)")
        }
        guard notBefore <= notAfter else {
            throw ArborError(.invalidArgument, "a peer certificate's validity must end after it starts")
        }
        do {
            return try Certificate(
                version: .v3,
                serialNumber: Certificate.SerialNumber(),
                publicKey: Certificate.PublicKey(keys.signing.publicKey),
                notValidBefore: Date(timeIntervalSince1970: TimeInterval(notBefore)),
                notValidAfter: Date(timeIntervalSince1970: TimeInterval(notAfter)),
                issuer: try subject(path: keys.path, cluster: chain.root.keyID),
                subject: try subject(path: keys.path, cluster: chain.root.keyID),
                signatureAlgorithm: .ed25519,
                extensions: try Certificate.Extensions([chainExtension(chain)]),
                issuerPrivateKey: Certificate.PrivateKey(keys.signing)
            )
        } catch let error as ArborError {
            throw error
        } catch {
            throw ArborError(.invalidArgument, "cannot make the peer certificate of \(keys.path): \(error)")
        }
    }

    /// `O=Arbor, OU=<cluster id, 64 hex digits>, CN=<path>` (the root's path is `/`).
    public static func subject(path: TreePath, cluster: KeyID) throws -> DistinguishedName {
        try DistinguishedName {
            OrganizationName("Arbor")
            OrganizationalUnitName(cluster.hex)
            CommonName(path.description)
        }
    }

    /// The extension: non-critical (a TLS stack that does not know it still completes the
    /// handshake, and Arbor's verifier refuses a certificate without it), value an OCTET STRING.
    public static func chainExtension(_ chain: CertificateChain) throws -> Certificate.Extension {
        var serializer = DER.Serializer()
        try serializer.serialize(ASN1OctetString(contentBytes: chain.encoded[...]))
        return Certificate.Extension(oid: chainExtensionOID, critical: false, value: serializer.serializedBytes[...])
    }

    /// The chain a certificate carries (`malformed input` when it carries none, or one that does not parse).
    public static func chain(in certificate: Certificate) throws -> CertificateChain {
        guard let value = certificate.extensions[oid: chainExtensionOID]?.value else {
            throw ArborError(.malformedInput, "the peer's X.509 certificate carries no Arbor certificate chain")
        }
        let octets: ASN1OctetString
        do {
            octets = try ASN1OctetString(derEncoded: value)
        } catch {
            throw ArborError(.malformedInput, "the peer's Arbor certificate chain extension is not an OCTET STRING")
        }
        return try CertificateChain(encoded: Array(octets.bytes))
    }
}
