import ArborCluster
import ArborCore
import Crypto
import Foundation
import SwiftASN1
import Testing
import X509

/// The check of a peer's certificate, as a pure rule: each refusal for its own reason.
@Suite struct PeerVerificationTests {
    private func der(_ certificate: Certificate) throws -> [UInt8] {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return serializer.serializedBytes
    }

    @Test func theOIDIsTheDocumentedOne() throws {
        #expect(PeerCertificate.chainExtensionOID.description == "2.25.3291012200173787654")
        var serializer = DER.Serializer()
        try serializer.serialize(PeerCertificate.chainExtensionOID)
        #expect(serializer.serializedBytes == [0x06, 0x0a, 0x69, 0xad, 0xd6, 0x81, 0xc5, 0x8d, 0xb6, 0xd7, 0xb4, 0x06])
    }

    @Test func aNodeOfTheClusterVerifiesAsItsPath() throws {
        let cluster = try PeerTestCluster()
        let node = try cluster.node("eu/node-7")
        let now = PeerTestCluster.now
        let certificate = try PeerCertificate.make(keys: node.keys, chain: node.chain, at: now)
        let identity = try PeerVerification.verify(certificate: try der(certificate), trust: PeerTrust(anchor: cluster.anchor), at: now)
        #expect(identity == node.identity)
        #expect(identity.path.description == "eu/node-7")
        #expect(certificate.subject.description.contains("CN=eu/node-7"))
        #expect(certificate.extensions[oid: PeerCertificate.chainExtensionOID]?.critical == false)
        #expect(try PeerCertificate.chain(in: certificate) == node.chain)
        // Short-lived: a day at most, and never beyond the Arbor certificate.
        #expect(
            Int64(certificate.notValidAfter.timeIntervalSince1970) == min(now + PeerCertificate.lifetime, node.chain.leaf.validity.notAfter)
        )
        // The expected path, when the caller knows it.
        _ = try PeerVerification.verify(
            certificate: try der(certificate), trust: PeerTrust(anchor: cluster.anchor), at: now, expectedPath: node.identity.path)
        #expect(throws: ArborError(.notAuthorised, "")) {
            try PeerVerification.verify(
                certificate: try der(certificate), trust: PeerTrust(anchor: cluster.anchor), at: now,
                expectedPath: try TreePath(parsing: "eu/node-8"))
        }
    }

    @Test func refusals() throws {
        let cluster = try PeerTestCluster()
        let node = try cluster.node("eu/node-7")
        let now = PeerTestCluster.now
        let trust = PeerTrust(anchor: cluster.anchor)
        func verify(_ certificate: Certificate, trust: PeerTrust = trust, at time: Int64 = now) throws {
            _ = try PeerVerification.verify(certificate: try der(certificate), trust: trust, at: time)
        }
        let good = try PeerCertificate.make(keys: node.keys, chain: node.chain, at: now)

        // A node of another cluster.
        let other = try PeerTestCluster().node("eu/node-7")
        #expect(throws: ArborError(.untrustedRoot, "")) {
            try verify(try PeerCertificate.make(keys: other.keys, chain: other.chain, at: now))
        }

        // A revoked node (its parent revoked the key).
        let revocation = try cluster.parentIssuer(of: "eu/node-7").revoke(
            node.identity.keyID, at: node.identity.path, reason: .keyCompromise, time: now)
        #expect(throws: ArborError(.revoked, "")) {
            try verify(good, trust: PeerTrust(anchor: cluster.anchor, revocations: RevocationList([revocation])))
        }

        // An expired or not yet valid X.509 certificate.
        #expect(throws: ArborError(.certificateExpired, "")) {
            try verify(try PeerCertificate.make(keys: node.keys, chain: node.chain, notBefore: now - 7200, notAfter: now - 3600))
        }
        #expect(throws: ArborError(.certificateNotYetValid, "")) {
            try verify(try PeerCertificate.make(keys: node.keys, chain: node.chain, notBefore: now + 3600, notAfter: now + 7200))
        }

        // A self-signed certificate of another key carrying eu/node-7's (valid) chain.
        let forger = Curve25519.Signing.PrivateKey()
        let forged = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(forger.publicKey), notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter, issuer: good.subject, subject: good.subject, signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions([PeerCertificate.chainExtension(node.chain)]), issuerPrivateKey: .init(forger))
        #expect(throws: ArborError(.notAuthorised, "")) { try verify(forged) }

        // The node's key in the X.509, but signed by another key.
        let misSigned = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(node.keys.signing.publicKey), notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter, issuer: good.subject, subject: good.subject, signatureAlgorithm: .ed25519,
            extensions: try Certificate.Extensions([PeerCertificate.chainExtension(node.chain)]), issuerPrivateKey: .init(forger))
        #expect(throws: ArborError(.invalidSignature, "")) { try verify(misSigned) }

        // The right key and chain, but a subject naming another node.
        let renamed = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(node.keys.signing.publicKey), notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter,
            issuer: try PeerCertificate.subject(path: TreePath(parsing: "eu/node-8"), cluster: cluster.anchor.keyID),
            subject: try PeerCertificate.subject(path: TreePath(parsing: "eu/node-8"), cluster: cluster.anchor.keyID),
            signatureAlgorithm: .ed25519, extensions: try Certificate.Extensions([PeerCertificate.chainExtension(node.chain)]),
            issuerPrivateKey: .init(node.keys.signing))
        #expect(throws: ArborError(.notAuthorised, "")) { try verify(renamed) }

        // No chain extension at all; a key that is not Ed25519.
        let bare = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(node.keys.signing.publicKey), notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter, issuer: good.subject, subject: good.subject, signatureAlgorithm: .ed25519,
            extensions: Certificate.Extensions(), issuerPrivateKey: .init(node.keys.signing))
        #expect(throws: ArborError(.malformedInput, "")) { try verify(bare) }
        let p256 = P256.Signing.PrivateKey()
        let ecdsa = try Certificate(
            version: .v3, serialNumber: .init(), publicKey: .init(p256.publicKey), notValidBefore: good.notValidBefore,
            notValidAfter: good.notValidAfter, issuer: good.subject, subject: good.subject, signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions([PeerCertificate.chainExtension(node.chain)]), issuerPrivateKey: .init(p256))
        #expect(throws: ArborError(.malformedInput, "")) { try verify(ecdsa) }
        #expect(throws: ArborError(.malformedInput, "")) {
            _ = try PeerVerification.verify(certificate: [0x30, 0x03, 0x02, 0x01, 0x00], trust: trust, at: now)
        }

        // A node whose key may not sign cannot authenticate a channel.
        let agreeOnly = try cluster.node("eu/node-9", usage: .keyAgreement)
        #expect(throws: ArborError(.usageNotAllowed, "")) {
            try verify(try PeerCertificate.make(keys: agreeOnly.keys, chain: agreeOnly.chain, at: now))
        }

        // And the good one still passes: the refusals above are for their reasons.
        try verify(good)
    }

    @Test func aRevocationAfterTheHandshakeIsSeenByStillTrusted() throws {
        let cluster = try PeerTestCluster()
        let node = try cluster.node("eu/node-7")
        let now = PeerTestCluster.now
        #expect(PeerVerification.stillTrusted(node.identity, trust: PeerTrust(anchor: cluster.anchor), at: now))
        // Revoking the parent covers the child.
        let eu = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: cluster.validity)
        let revocation = try cluster.issuer.revoke(eu.chain.leaf.keyID, at: eu.chain.leaf.path, reason: .superseded, time: now)
        #expect(
            !PeerVerification.stillTrusted(
                node.identity, trust: PeerTrust(anchor: cluster.anchor, revocations: RevocationList([revocation])), at: now))
    }
}
