import Crypto
import Foundation

@testable import ArborCore

/// A cluster (the vector root), a parent `eu` that enrolls `eu/node-2`, and a one-time X-Wing key
/// made from a fixed seed: the cases of `EnrollmentBundleTests` and of the vector file.
struct EnrollmentScenario {
    static let oneTimeSeed: [UInt8] = (0x20..<0x40).map { UInt8($0) }
    static let otherSeed: [UInt8] = (0x40..<0x60).map { UInt8($0) }
    static let lifetime: Int64 = 3600

    let cluster: Fixtures.Cluster
    let parent: Issuer
    let sibling: Issuer
    let oneTimePublicKey: [UInt8]
    let keyID: EnrollmentKeyID
    let otherKeyID: EnrollmentKeyID
    let keyring: MeshKeyring
    let trustBundle: TrustBundle

    init() throws {
        cluster = try Fixtures.Cluster(root: Fixtures.vectorRoot)
        let eu = try cluster.chain("eu")
        parent = try Issuer(secret: eu.secret, chain: eu.chain)
        let us = try cluster.chain("us")
        sibling = try Issuer(secret: us.secret, chain: us.chain)
        oneTimePublicKey = try Self.publicKey(seed: Self.oneTimeSeed)
        keyID = try EnrollmentKeyID(xWingPublicKey: oneTimePublicKey)
        otherKeyID = try EnrollmentKeyID(xWingPublicKey: try Self.publicKey(seed: Self.otherSeed))
        keyring = MeshKeyring(
            name: "payments", owner: Fixtures.path("eu"), cipher: .chaCha20Poly1305, activeEpoch: 2, minimumEpoch: 1,
            seeds: [1: SymmetricKey(data: [UInt8](repeating: 0x11, count: 32)), 2: SymmetricKey(data: [UInt8](repeating: 0x22, count: 32))])
        let berlin = try Fixtures.Cluster(root: RootKey(secret: SymmetricKey(data: (0x60..<0x80).map { UInt8($0) })))
        trustBundle = try TrustBundle(clusterName: "berlin", chain: try CertificateChain([berlin.rootCertificate]))
    }

    static func publicKey(seed: [UInt8]) throws -> [UInt8] {
        Array(try XWingMLKEM768X25519.PrivateKey(seedRepresentation: seed, publicKey: nil).publicKey.rawRepresentation)
    }

    var expectation: EnrollmentExpectation { EnrollmentExpectation(anchor: cluster.anchor, parent: .path(Fixtures.path("eu"))) }

    /// A bundle for `eu/node-2`, issued at `Fixtures.now`, signed by `issuer` (the parent unless said).
    func bundle(
        by issuer: Issuer? = nil, for keyID: EnrollmentKeyID? = nil, path: String = "eu/node-2", issuedAt: Int64 = Fixtures.now
    ) throws -> EnrollmentBundle {
        let issuer = issuer ?? parent
        let node = try issuer.certify(Fixtures.path(path), usage: [.sign, .keyAgreement], validity: Fixtures.validity)
        return try EnrollmentBundle(
            for: keyID ?? self.keyID, issuedAt: issuedAt, expiresAt: issuedAt + Self.lifetime, node: node.secret, nodeChain: node.chain,
            parent: issuer, keyrings: [keyring], trustBundles: [trustBundle], etcdEndpoints: ["http://127.0.0.1:2379"])
    }

    /// The cases of the vector file: encoded bundle, what the node expects, and the outcome.
    struct Case {
        let description: String
        let bundle: [UInt8]
        let parent: String
        let time: Int64
        let expected: String
    }

    func cases() throws -> [Case] {
        let valid = try bundle().encoded.withUnsafeBytes { Array($0) }
        var tampered = valid
        // A byte of the last endpoint ("…2379" becomes "…2378"): the signature no longer verifies.
        tampered[tampered.count - HybridSignature.encodedSize - 1] ^= 0x01
        return [
            Case(description: "valid: eu enrolls eu/node-2", bundle: valid, parent: "eu", time: Fixtures.now + 60, expected: "valid"),
            Case(
                description: "the node expects another parent", bundle: valid, parent: "us", time: Fixtures.now + 60,
                expected: "not authorised"),
            Case(
                description: "signed by a sibling of the expected parent", bundle: try encoded(bundle(by: sibling, path: "us/node-2")),
                parent: "eu", time: Fixtures.now + 60, expected: "not authorised"),
            Case(
                description: "opened after it expired", bundle: valid, parent: "eu", time: Fixtures.now + Self.lifetime + 1,
                expected: "certificate expired"),
            Case(
                description: "made for another one-time key", bundle: try encoded(bundle(for: otherKeyID)), parent: "eu",
                time: Fixtures.now + 60, expected: "fingerprint mismatch"),
            Case(
                description: "a signed byte changed", bundle: tampered, parent: "eu", time: Fixtures.now + 60, expected: "invalid signature"
            ),
        ]
    }

    private func encoded(_ bundle: EnrollmentBundle) -> [UInt8] { bundle.encoded.withUnsafeBytes { Array($0) } }

    /// Parses and verifies as the vector file says; the error code, or "valid".
    func outcome(of bytes: [UInt8], anchor: TrustAnchor, parent: String, at time: Int64) -> String {
        do {
            let expectation = EnrollmentExpectation(anchor: anchor, parent: try .init(parsing: parent))
            try EnrollmentBundle(encoded: SecretBytes(copying: bytes)).verify(expecting: expectation, oneTimeKey: keyID, at: time)
            return "valid"
        } catch let error as ArborError {
            return error.code.description
        } catch {
            return "\(error)"
        }
    }
}
