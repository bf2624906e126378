import Crypto
import Foundation

@testable import ArborCore

/// A small cluster and the writes a reader sees, good and hostile: the cases of
/// `Vectors/cluster.json` and of `ClusterRecordTests`. Each case starts from a fresh reader and
/// applies its steps in order; every step names the outcome it must have.
struct ClusterScenario {
    struct Step {
        var storedAt: String
        /// Nil for a deletion of the key.
        var record: [UInt8]?
        /// "valid", or the ArborError code the step must fail with.
        var expected: String
    }

    struct Case {
        var description: String
        var steps: [Step]
    }

    typealias Node = (secret: NodeSecret, chain: CertificateChain)

    let root: RootKey
    let rootCertificate: KeyCertificate
    let issuer: Issuer
    let cluster: KeyID

    init(root: RootKey = Fixtures.vectorRoot) throws {
        self.root = root
        rootCertificate = try KeyCertificate.root(try root.node.keySet(), validity: Fixtures.validity)
        issuer = try Issuer(root: root, rootCertificate: rootCertificate)
        cluster = rootCertificate.keyID
    }

    var anchor: TrustAnchor { try! TrustAnchor(name: "home", rootCertificate: rootCertificate) }
    func ledger() -> ClusterLedger { ClusterLedger(root: anchor) }

    func node(_ path: String, usage: KeyUsage = .all) throws -> Node {
        if path == "/" { return (root.node, try CertificateChain([rootCertificate])) }
        return try issuer.certify(Fixtures.path(path), usage: usage, validity: Fixtures.validity)
    }

    func sign(_ key: ClusterRecordKey, _ sequence: UInt64, _ value: [UInt8], by signer: Node) throws -> [UInt8] {
        try ClusterRecord(key: key, sequence: sequence, value: value, signer: try signer.secret.keySet(), chain: signer.chain).encoded
    }

    func memberKey(_ path: String) -> ClusterRecordKey { .member(Fixtures.path(path), cluster: cluster) }

    func memberValue(_ node: Node, address: String) throws -> [UInt8] {
        try ClusterMember(addresses: [address], chain: node.chain).encoded
    }

    func keyringValue(active: UInt32, minimum: UInt32) throws -> [UInt8] {
        try KeyringMetadata(cipher: .chaCha20Poly1305, activeEpoch: active, minimumEpoch: minimum).encoded
    }

    /// A branch assignment of two members (docs/cluster.md, "Branch assignment through etcd").
    func assignmentValue() throws -> [UInt8] {
        try BranchAssignment(generation: 1, members: [Fixtures.path("eu/node-7"), Fixtures.path("us/node-1")], branches: ["a", "b"])
            .encoded
    }

    static func step(_ key: ClusterRecordKey, _ record: [UInt8]?, _ expected: String) -> Step {
        Step(storedAt: key.text, record: record, expected: expected)
    }

    /// Every case; the attacks of issue 11 point 2 each end with the refusal they must meet.
    func cases() throws -> [Case] {
        let eu = try node("eu")
        let node7 = try node("eu/node-7")
        let node8 = try node("eu/node-8")
        let us1 = try node("us/node-1")
        let rootNode = try node("/")
        let stranger = try ClusterScenario(root: RootKey(secret: SymmetricKey(data: (32..<64).map { UInt8($0) })))
        let strangerEU = try stranger.node("eu")
        let node9 = try node("eu/node-9", usage: [.sign, .keyAgreement])

        let key7 = memberKey("eu/node-7")
        let enroll7 = try sign(key7, 1, try memberValue(node7, address: "10.0.0.7:7443"), by: eu)
        let update7 = try sign(key7, 2, try memberValue(node7, address: "10.0.0.17:7443"), by: node7)
        let keyring = try ClusterRecordKey.keyring(owner: Fixtures.path("eu"), name: "payments", cluster: cluster)
        let keyring3 = try sign(keyring, 1, try keyringValue(active: 3, minimum: 2), by: eu)
        let revocation8 = try Revocation(revoking: node8.chain.leaf, by: try eu.secret.keySet(), reason: .keyCompromise, time: Fixtures.now)
        let revocationKey = ClusterRecordKey.revocation(revocation8, cluster: cluster)
        let revoke8 = try sign(revocationKey, 1, revocation8.encoded, by: eu)
        let trustKey = try ClusterRecordKey.trust(clusterName: "partner", cluster: cluster)
        let partnerBundle = try TrustBundle(clusterName: "partner", chain: try CertificateChain([stranger.rootCertificate])).encoded

        var unsigned = enroll7
        unsigned.replaceSubrange(
            (unsigned.count - HybridSignature.encodedSize)..., with: [UInt8](repeating: 0, count: HybridSignature.encodedSize))
        var forgedValue = try ClusterRecord(encoded: enroll7)
        forgedValue = try ClusterRecord(
            encoded: Self.replacingValue(of: forgedValue, with: try memberValue(node7, address: "6.6.6.6:7443")))

        return [
            Case(description: "a parent enrols its child", steps: [Self.step(key7, enroll7, "valid")]),
            Case(
                description: "the root enrols a grandchild, then the node updates its own address",
                steps: [
                    Self.step(key7, try sign(key7, 1, try memberValue(node7, address: "10.0.0.7:7443"), by: rootNode), "valid"),
                    Self.step(key7, update7, "valid"),
                ]),
            Case(
                description: "the owner raises a keyring's epochs",
                steps: [
                    Self.step(keyring, keyring3, "valid"),
                    Self.step(keyring, try sign(keyring, 2, try keyringValue(active: 4, minimum: 3), by: eu), "valid"),
                ]),
            Case(description: "an ancestor revokes a node", steps: [Self.step(revocationKey, revoke8, "valid")]),
            Case(
                description: "the root writes a partner's trust bundle",
                steps: [Self.step(trustKey, try sign(trustKey, 1, partnerBundle, by: rootNode), "valid")]),
            Case(
                description: "any node writes the branch assignment",
                steps: [
                    Self.step(
                        .assignments(cluster: cluster), try sign(.assignments(cluster: cluster), 1, try assignmentValue(), by: node7),
                        "valid")
                ]),
            // The attacks: each a direct write to etcd by someone without the authorised key.
            Case(
                description: "a member value written without a record (unsigned)",
                steps: [Self.step(key7, try memberValue(node7, address: "6.6.6.6:7443"), "malformed input")]),
            Case(description: "a record whose signature is zeroed (unsigned)", steps: [Self.step(key7, unsigned, "invalid signature")]),
            Case(
                description: "a signed record with its value changed", steps: [Self.step(key7, forgedValue.encoded, "invalid signature")]),
            Case(
                description: "a member added by a node of an unrelated cluster",
                steps: [
                    Self.step(key7, try sign(key7, 1, try memberValue(node7, address: "6.6.6.6:7443"), by: strangerEU), "untrusted root")
                ]
            ),
            Case(
                description: "a member added by an unrelated node of the cluster",
                steps: [Self.step(key7, try sign(key7, 1, try memberValue(node7, address: "6.6.6.6:7443"), by: us1), "not authorised")]),
            Case(
                description: "a node writes its sibling's member record",
                steps: [Self.step(key7, try sign(key7, 1, try memberValue(node7, address: "6.6.6.6:7443"), by: node8), "not authorised")]),
            Case(
                description: "a node publishes its sibling's certificate as its own",
                steps: [
                    Self.step(
                        memberKey("eu/node-8"),
                        try sign(memberKey("eu/node-8"), 1, try memberValue(node7, address: "6.6.6.6:7443"), by: node8),
                        "not authorised")
                ]),
            Case(
                description: "a record made for another cluster, stored under that cluster's prefix",
                steps: [
                    Self.step(
                        .member(Fixtures.path("eu/node-7"), cluster: stranger.cluster),
                        try sign(
                            .member(Fixtures.path("eu/node-7"), cluster: stranger.cluster), 1,
                            try memberValue(node7, address: "6.6.6.6:7443"), by: eu),
                        "wrong cluster")
                ]),
            Case(
                description: "a record copied to another node's key",
                steps: [ClusterScenario.Step(storedAt: memberKey("eu/node-8").text, record: enroll7, expected: "conflict")]),
            Case(
                description: "an older signed record replayed",
                steps: [Self.step(key7, enroll7, "valid"), Self.step(key7, update7, "valid"), Self.step(key7, enroll7, "replayed")]),
            Case(
                description: "a keyring epoch lowered by replaying an older record",
                steps: [
                    Self.step(keyring, keyring3, "valid"),
                    Self.step(keyring, try sign(keyring, 2, try keyringValue(active: 4, minimum: 3), by: eu), "valid"),
                    Self.step(keyring, keyring3, "replayed"),
                ]),
            Case(
                description: "a keyring epoch lowered even by its owner",
                steps: [
                    Self.step(keyring, keyring3, "valid"),
                    Self.step(keyring, try sign(keyring, 2, try keyringValue(active: 2, minimum: 2), by: eu), "rollback"),
                ]),
            Case(
                description: "a keyring's epochs written by a node that does not own it",
                steps: [Self.step(keyring, try sign(keyring, 1, try keyringValue(active: 1, minimum: 1), by: node7), "not authorised")]),
            Case(
                description: "a trust bundle swapped by a non-root node",
                steps: [
                    Self.step(trustKey, try sign(trustKey, 1, partnerBundle, by: rootNode), "valid"),
                    Self.step(trustKey, try sign(trustKey, 2, try ownBundle(), by: eu), "not authorised"),
                ]),
            Case(
                description: "a revocation lifted by deleting its key",
                steps: [Self.step(revocationKey, revoke8, "valid"), Self.step(revocationKey, nil, "rollback")]),
            Case(
                description: "a revocation overwritten with another revocation",
                steps: [
                    Self.step(revocationKey, revoke8, "valid"),
                    Self.step(
                        revocationKey,
                        try sign(
                            revocationKey, 2,
                            try Revocation(revoking: node8.chain.leaf, by: try eu.secret.keySet(), reason: .superseded, time: Fixtures.now)
                                .encoded, by: eu), "conflict"),
                ]),
            Case(
                description: "a revocation written by a node that is not an ancestor",
                steps: [Self.step(revocationKey, try sign(revocationKey, 1, revocation8.encoded, by: node7), "not authorised")]),
            Case(
                description: "a revoked node writes its own record",
                steps: [
                    Self.step(revocationKey, revoke8, "valid"),
                    Self.step(
                        memberKey("eu/node-8"),
                        try sign(memberKey("eu/node-8"), 1, try memberValue(node8, address: "10.0.0.8:7443"), by: node8),
                        "revoked"),
                ]),
            Case(
                description: "a node without the sign usage writes its own record",
                steps: [
                    Self.step(
                        memberKey("eu/node-9"),
                        try sign(memberKey("eu/node-9"), 1, try memberValue(node9, address: "10.0.0.9:7443"), by: node9), "valid"),
                    Self.step(
                        memberKey("eu/node-9"),
                        try sign(
                            memberKey("eu/node-9"), 2, try memberValue(node9, address: "10.0.0.9:7443"),
                            by: try node("eu/node-9", usage: [.keyAgreement])),
                        "usage not allowed"),
                ]),
        ]
    }

    /// This cluster's own root named as the partner: a hostile node's swap for the partner's bundle.
    func ownBundle() throws -> [UInt8] {
        try TrustBundle(clusterName: "partner", chain: try CertificateChain([rootCertificate])).encoded
    }

    /// The record's bytes with another value and the old signature: what a writer without the key can make.
    static func replacingValue(of record: ClusterRecord, with value: [UInt8]) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(
            raw: ClusterRecord.toBeSigned(key: record.key, sequence: record.sequence, value: value, chain: record.signerChain))
        record.signature.encode(into: &writer)
        return writer.bytes
    }

    /// Applies a case to a fresh reader; returns each step's outcome ("valid" or the error code).
    func run(_ steps: [Step], at time: Int64 = Fixtures.now) -> [String] {
        var ledger = ledger()
        return steps.map { step in
            do {
                if let record = step.record {
                    try ledger.apply(record, storedAt: step.storedAt, at: time)
                } else {
                    try ledger.applyDeletion(of: step.storedAt)
                }
                return "valid"
            } catch let error as ArborError {
                return error.code.description
            } catch {
                return "unexpected \(error)"
            }
        }
    }
}
