import ArborCore
import Crypto
import Foundation
import NIOSSL
import SwiftASN1
import X509

/// What a node presents in the handshake: its peer certificate and the Ed25519 key of it.
public struct PeerCredential: Sendable {
    public let certificate: Certificate
    private let signingKey: Curve25519.Signing.PrivateKey

    /// Any certificate and key (tests present forged ones this way).
    public init(certificate: Certificate, signingKey: Curve25519.Signing.PrivateKey) {
        self.certificate = certificate
        self.signingKey = signingKey
    }

    /// The node's own: its certificate at `time` (`PeerCertificate.make`).
    public init(keys: NodeKeySet, chain: CertificateChain, at time: Int64) throws {
        self.init(certificate: try PeerCertificate.make(keys: keys, chain: chain, at: time), signingKey: keys.signing)
    }

    /// When the certificate stops being valid, Unix seconds.
    public var notAfter: Int64 { Int64(certificate.notValidAfter.timeIntervalSince1970) }
    public var notBefore: Int64 { Int64(certificate.notValidBefore.timeIntervalSince1970) }

    func nioCertificate() throws -> NIOSSLCertificate {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return try NIOSSLCertificate(bytes: serializer.serializedBytes, format: .der)
    }

    /// BoringSSL takes the key as PKCS #8; the bytes are wiped once it has parsed them.
    func nioPrivateKey() throws -> NIOSSLPrivateKey {
        var der = try Certificate.PrivateKey(signingKey).serializeAsPEM().derBytes
        defer { der.wipe() }
        return try NIOSSLPrivateKey(bytes: der, format: .der)
    }
}
