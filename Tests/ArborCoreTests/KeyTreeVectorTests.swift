import Crypto
import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/keytree.json` (specified in docs/keys.md, "Test vectors").
/// Derivation vectors are re-derived here; certificate vectors (ML-DSA signing is randomised, so
/// they cannot be re-derived) are re-verified with their expected outcomes. Regenerate with
/// `ARBOR_WRITE_VECTORS=1 swift test --filter KeyTreeVectorTests`.
@Suite("Key tree vectors")
struct KeyTreeVectorTests {
    struct File: Codable, Equatable {
        var description: String
        var rootKey: String
        var nodes: [Node]
        var safetyNumber: Safety
        var chains: [ChainCase]
    }

    struct Node: Codable, Equatable {
        var path: String
        var epoch: UInt32
        var branchSecret: String
        var epochSecret: String
        var seeds: [String: String]
        var storageKeyDefault: String
        var publicKeySet: String
        var keyId: String
    }

    struct Safety: Codable, Equatable {
        var rootPublicKeySet: String
        var digits: String
        var words: [String]
    }

    struct ChainCase: Codable, Equatable {
        var description: String
        var chain: String
        var anchorKeyId: String
        var revocationList: String
        var time: Int64
        /// "valid", or the error code (ArborError.Code description) verification must fail with.
        var expected: String
    }

    static let fileName = "keytree.json"
    static let paths: [(String, UInt32)] = [
        ("/", 0), ("eu", 0), ("eu/node-7", 0), ("eu/node-7", 1), ("eu/node-7", 2), ("eu/node-7#1", 0), ("us/node-1", 0),
        ("eu/node-7/db", 0),
    ]
    static let validity = try! KeyCertificate.Validity(notBefore: 1_790_000_000, notAfter: 1_900_000_000)
    /// A second root (bytes 0x20…0x3f) for the untrusted-root and foreign-revoker cases.
    static let otherRoot = RootKey(secret: SymmetricKey(data: (32..<64).map { UInt8($0) }))
    static let chainCaseCount = 18

    static func node(_ path: String, epoch: UInt32) throws -> Node {
        let secret = try Fixtures.vectorRoot.node.descendant(orSelf: TreePath(parsing: path)).atEpoch(epoch)
        let keys = try secret.keySet()
        let seeds = Dictionary(
            uniqueKeysWithValues: ["ed25519", "ml-dsa-65", "x25519", "x-wing", "storage"].map {
                ($0, Hex.encode(KeyDerivation.keySeed(of: secret.epochSecret, name: $0).bytesForEncoding))
            })
        return Node(
            path: path, epoch: epoch,
            branchSecret: Hex.encode(secret.branchSecret.bytesForEncoding),
            epochSecret: Hex.encode(secret.epochSecret.bytesForEncoding),
            seeds: seeds,
            storageKeyDefault: Hex.encode(keys.storageKey(purpose: "default").bytesForEncoding),
            publicKeySet: Hex.encode(keys.publicKeys.encoded),
            keyId: keys.keyID.hex
        )
    }

    static func safety() throws -> Safety {
        let rootKeys = try Fixtures.vectorRoot.node.keySet().publicKeys
        let number = SafetyNumber(rootKeys: rootKeys)
        return Safety(rootPublicKeySet: Hex.encode(rootKeys.encoded), digits: number.digits, words: number.words)
    }

    /// Certificate cases, signed afresh (only used when writing the file).
    static func chainCases() throws -> [ChainCase] {
        let root = Fixtures.vectorRoot
        let rootKeys = try root.node.keySet()
        let rootCertificate = try KeyCertificate.root(rootKeys, validity: validity)
        let issuer = try Issuer(root: root, rootCertificate: rootCertificate)
        let (secret, chain) = try issuer.certify(TreePath(parsing: "eu/node-7"), usage: .all, validity: validity)
        let rekeyed = try SelfRekey.advance(secret, chain: chain, validity: validity).chain
        let region = chain.certificates[1]
        let revocation = try issuer.revoke(region.keyID, at: region.path, reason: .keyCompromise, time: 1_800_000_000)
        var tampered = chain.leaf.encoded
        tampered[tampered.count - 1] ^= 0x01
        let us = try root.node.descendant(TreePath(parsing: "us")).keySet()
        let forged = try KeyCertificate.signed(
            kind: .issuedByParent, subject: try secret.keySet(), usage: .all, validity: validity, issuer: us)
        let usChain = try issuer.certify(TreePath(parsing: "us"), usage: .all, validity: validity).chain
        let empty = Hex.encode(RevocationList().encoded)
        let anchor = rootKeys.keyID.hex
        func make(
            _ description: String, _ chain: CertificateChain, revocations: String = empty, time: Int64 = 1_800_000_000,
            anchor: String = anchor, _ expected: String
        ) -> ChainCase {
            ChainCase(
                description: description, chain: Hex.encode(chain.encoded), anchorKeyId: anchor, revocationList: revocations, time: time,
                expected: expected)
        }
        func list(_ revocations: Revocation...) -> String { Hex.encode(RevocationList(revocations).encoded) }

        // Failure cases a second implementation must refuse the same way.
        let other = Self.otherRoot
        let otherRootKeys = try other.node.keySet()
        let regionKeys = try root.node.descendant(TreePath(parsing: "eu")).keySet()
        let nodeKeys = try secret.keySet()
        let nonCertifying = try KeyCertificate.issue(for: regionKeys, by: rootKeys, usage: [.sign, .keyAgreement], validity: validity)
        let underNonCertifying = try CertificateChain([
            rootCertificate, nonCertifying, try KeyCertificate.issue(for: nodeKeys, by: regionKeys, usage: .all, validity: validity),
        ])
        let skippedEpoch = try chain.appending(
            KeyCertificate.signed(
                kind: .selfRekey, subject: try secret.atEpoch(2).keySet(), usage: .all, validity: validity, issuer: nodeKeys))
        var edFlipped = chain.leaf.encoded
        edFlipped[edFlipped.count - HybridSignature.encodedSize] ^= 0x01
        let rootRepeated = try CertificateChain([rootCertificate] + chain.certificates)

        // Branch revocations: a key-compromise of eu/node-7 epoch 1 covers epoch 0 too; superseded does not.
        let epoch1 = rekeyed.leaf
        let compromise = try issuer.revoke(epoch1.keyID, at: epoch1.path, reason: .keyCompromise, time: 1_800_000_000)
        let superseded = try issuer.revoke(epoch1.keyID, at: epoch1.path, reason: .superseded, time: 1_800_000_000)
        let movedChain = try issuer.rekeyToNewBranch(TreePath(parsing: "eu/node-7"), usage: .all, validity: validity).chain
        let otherRegion = try other.node.descendant(TreePath(parsing: "eu")).keySet()
        let foreignCompromise = try Revocation(
            revoking: chain.leaf.keyID, at: chain.leaf.path, by: otherRegion, reason: .keyCompromise, time: 1_800_000_000)
        return [
            make("root, eu, eu/node-7: valid", chain, "valid"),
            make("the same chain after it expired", chain, time: 1_900_000_001, "certificate expired"),
            make("the same chain before it is valid", chain, time: 1_789_999_999, "certificate not yet valid"),
            make(
                "eu revoked by the root: its descendant fails", chain, revocations: Hex.encode(RevocationList([revocation]).encoded),
                "revoked"),
            make("eu/node-7 self-rekeyed to epoch 1: valid", rekeyed, "valid"),
            make(
                "the last signature byte flipped",
                try CertificateChain(Array(chain.certificates.dropLast()) + [KeyCertificate(encoded: tampered)]), "invalid signature"),
            make("eu/node-7 certified by us, its wrong parent", try usChain.appending(forged), "wrong issuer"),
            make(
                "eu/node-7 at epoch 2 certified directly by its parent: valid",
                try issuer.certify(TreePath(parsing: "eu/node-7"), epoch: 2, usage: .all, validity: validity).chain, "valid"),
            make("a root that is not an anchor (the anchor is another root)", chain, anchor: otherRootKeys.keyID.hex, "untrusted root"),
            make("eu certified without the certify usage, then certifying eu/node-7", underNonCertifying, "usage not allowed"),
            make("a self-rekey from epoch 0 straight to epoch 2", skippedEpoch, "invalid rekey"),
            make(
                "the first byte of the Ed25519 half of the last signature flipped (ML-DSA-65 half intact)",
                try CertificateChain(Array(chain.certificates.dropLast()) + [KeyCertificate(encoded: edFlipped)]), "invalid signature"),
            make("the root certificate repeated inside the chain", rootRepeated, "wrong issuer"),
            make(
                "eu/node-7 epoch 0, with its epoch-1 key revoked for key-compromise: the whole branch", chain,
                revocations: list(compromise), "revoked"),
            make("eu/node-7 epoch 1, with its epoch-1 key revoked for key-compromise", rekeyed, revocations: list(compromise), "revoked"),
            make(
                "eu/node-7 epoch 0, with its epoch-1 key revoked as superseded: that key only", chain, revocations: list(superseded),
                "valid"),
            make(
                "eu/node-7#1, with eu/node-7 revoked for key-compromise: another branch", movedChain, revocations: list(compromise), "valid"
            ),
            make(
                "eu/node-7, with a key-compromise revocation signed by another cluster's eu: not honoured", chain,
                revocations: list(foreignCompromise), "valid"),
        ]
    }

    static func expected() throws -> File {
        File(
            description:
                "Arbor key tree vectors, format 1: derivation from the root key 000102...1f, safety number, and certificate chains with expected verification outcomes. See docs/keys.md.",
            rootKey: Hex.encode(Fixtures.vectorRoot.secret.bytesForEncoding),
            nodes: try paths.map { try node($0.0, epoch: $0.1) },
            safetyNumber: try safety(),
            chains: try chainCases()
        )
    }

    static func load() throws -> File { try Fixtures.loadVectors(File.self, from: fileName) }

    @Test("the vector file is current (ARBOR_WRITE_VECTORS=1 rewrites it)")
    func writeIfAsked() throws {
        try Fixtures.writeVectorsIfAsked(Self.expected, to: Self.fileName)
    }

    @Test("every derivation vector re-derives exactly")
    func derivation() throws {
        let file = try Self.load()
        #expect(file.rootKey == Hex.encode(Fixtures.vectorRoot.secret.bytesForEncoding))
        #expect(file.nodes.count == Self.paths.count)
        for vector in file.nodes {
            #expect(try Self.node(vector.path, epoch: vector.epoch) == vector, "node \(vector.path) epoch \(vector.epoch)")
        }
        #expect(try Self.safety() == file.safetyNumber)
    }

    @Test("every certificate vector verifies to its expected outcome")
    func certificates() throws {
        let file = try Self.load()
        #expect(file.chains.count == Self.chainCaseCount)
        #expect(Set(file.chains.map(\.expected)).count == 9, "every outcome of docs/keys.md §15 has a case")
        let rootKeys = try PublicKeySet(encoded: Hex.decode(file.nodes[0].publicKeySet))
        for vector in file.chains {
            let chain = try CertificateChain(encoded: Hex.decode(vector.chain))
            #expect(chain.root.publicKeys == rootKeys)
            // The anchor is the vector root, except in the untrusted-root case, where it is another root.
            let anchors = vector.anchorKeyId == rootKeys.keyID.hex ? [try TrustAnchor(name: "vectors", rootCertificate: chain.root)] : []
            let otherRootID = try Self.otherRoot.node.keySet().keyID.hex
            #expect(anchors.count == 1 || vector.anchorKeyId == otherRootID)
            let verifier = ChainVerifier(anchors: anchors, revocations: try RevocationList(encoded: Hex.decode(vector.revocationList)))
            do {
                _ = try verifier.verify(chain, at: vector.time)
                #expect(vector.expected == "valid", "\(vector.description)")
            } catch let error as ArborError {
                #expect(vector.expected == error.code.description, "\(vector.description): \(error.message)")
            }
            // The certified keys are the ones derivation gives for their path and epoch.
            for certificate in chain.certificates {
                let derived = try Fixtures.vectorRoot.node.descendant(orSelf: certificate.path).atEpoch(certificate.epoch).keySet()
                #expect(derived.publicKeys == certificate.publicKeys)
            }
        }
    }
}

extension NodeSecret {
    /// `descendant`, or the node itself for its own path.
    func descendant(orSelf target: TreePath) throws -> NodeSecret { target == path ? self : try descendant(target) }
}
