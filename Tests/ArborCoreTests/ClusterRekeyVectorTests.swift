import Crypto
import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/cluster-rekeys.json` (docs/cluster.md §17 and §18): rekey
/// instructions (kind 9) and the root transition record (kind 10) applied to a fresh reader, each
/// step with the outcome it must have, in the layout of `cluster-grants.json`. The sealed key inside
/// an instruction is opaque at this layer (an age file only the member opens), so it is a stand-in;
/// the rules checked are the key, the signature, who may sign and what the instruction may move to.
/// Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter ClusterRekeyVectorTests`.
@Suite("Cluster rekey vectors")
struct ClusterRekeyVectorTests {
    typealias File = ClusterVectorGrantFile

    static let fileName = "cluster-rekeys.json"
    static let sealed = Array("age-encryption.org/v1 (a node key file sealed to the member's X-Wing key)".utf8)
    /// The root the transition hands over to: bytes 40 … 5f.
    static let newRoot = RootKey(secret: SymmetricKey(data: (0x40..<0x60).map { UInt8($0) }))

    static func make() throws -> File {
        let scenario = try ClusterScenario()
        let root = try scenario.node("/")
        let eu = try scenario.node("eu")
        let node7 = try scenario.node("eu/node-7")
        let node8 = try scenario.node("eu/node-8")
        let euIssuer = try Issuer(secret: eu.secret, chain: eu.chain)
        let path7 = Fixtures.path("eu/node-7")
        let from = node7.chain.leaf.keyID
        let moved = try euIssuer.rekeyToNewBranch(path7, usage: .all, validity: Fixtures.validity)

        func revocationRecord(of node: ClusterScenario.Node) throws -> [UInt8] {
            let revocation = try euIssuer.revoke(node.chain.leaf.keyID, at: node.secret.path, reason: .superseded, time: Fixtures.now)
            return try scenario.sign(.revocation(revocation, cluster: scenario.cluster), 1, revocation.encoded, by: eu)
        }
        func branch(to chain: CertificateChain, from: KeyID = from, revoking: [UInt8]) throws -> [UInt8] {
            try RekeyInstruction(
                fromKeyID: from, revokeAfter: Fixtures.now + 300, chain: chain, sealedKey: sealed, revocationRecord: revoking
            ).encoded
        }
        let good = try branch(to: moved.chain, revoking: try revocationRecord(of: node7))
        let elsewhere = try euIssuer.rekeyToNewBranch(Fixtures.path("eu/node-8"), usage: .all, validity: Fixtures.validity)
        // A root instruction's kind byte on a branch move's fields: no transition, a revocation.
        var rootWithoutTransition = good
        rootWithoutTransition[0] = RekeyInstruction.Kind.root.rawValue

        let newCertificate = try KeyCertificate.root(try Self.newRoot.node.keySet(), validity: Fixtures.validity)
        let transition = try RootTransition.make(
            from: try root.secret.keySet(), certificate: scenario.rootCertificate, to: try Self.newRoot.node.keySet(),
            certificate: newCertificate, at: Fixtures.now)
        let reissued = try Issuer(root: Self.newRoot, rootCertificate: newCertificate).certify(
            path7, usage: .all, validity: Fixtures.validity)
        let underNewRoot = try RekeyInstruction(
            kind: .root, fromKeyID: from, revokeAfter: Fixtures.now, chain: reissued.chain, sealedKey: sealed,
            transition: transition.encoded
        ).encoded
        let stranger = try ClusterScenario(root: RootKey(secret: SymmetricKey(data: (32..<64).map { UInt8($0) })))
        let strangerTransition = try RootTransition.make(
            from: try stranger.root.node.keySet(), certificate: stranger.rootCertificate, to: try Self.newRoot.node.keySet(),
            certificate: newCertificate, at: Fixtures.now)

        // More moves readers refuse: to the same branch (a self-rekey's chain), a chain of another
        // cluster, a root instruction for another path, under the old root, or handing over from another root.
        let sameBranch = try SelfRekey.advance(node7.secret, chain: node7.chain, validity: Fixtures.validity).chain
        let strangerChain = try stranger.node("eu/node-7#1").chain
        let reissued8 = try Issuer(root: Self.newRoot, rootCertificate: newCertificate).certify(
            Fixtures.path("eu/node-8"), usage: .all, validity: Fixtures.validity)
        func underRoot(_ chain: CertificateChain, _ handOver: RootTransition = transition) throws -> [UInt8] {
            try RekeyInstruction(
                kind: .root, fromKeyID: from, revokeAfter: Fixtures.now, chain: chain, sealedKey: sealed, transition: handOver.encoded
            ).encoded
        }
        var branchWithTransition = underNewRoot
        branchWithTransition[0] = RekeyInstruction.Kind.branch.rawValue
        var forgedTransition = transition.encoded
        forgedTransition[forgedTransition.count - 100] ^= 1
        let euWithoutCertify = try scenario.node("eu", usage: [.sign, .keyAgreement])
        // The carried revocation itself: a signature byte changed, or signed by a sibling.
        var damagedRevocation = try revocationRecord(of: node7)
        damagedRevocation[damagedRevocation.count - 100] ^= 1
        let siblingRevocation = try euIssuer.revoke(from, at: path7, reason: .superseded, time: Fixtures.now)
        let revocationBySibling = try scenario.sign(
            .revocation(siblingRevocation, cluster: scenario.cluster), 1, siblingRevocation.encoded, by: node8)

        let rekey = ClusterRecordKey.rekey(path7, cluster: scenario.cluster)
        let handOver = ClusterRecordKey.transition(cluster: scenario.cluster)
        func step(_ key: ClusterRecordKey, at storedAt: String? = nil, _ record: [UInt8]?, _ expected: String) -> File.Step {
            File.Step(storedAt: storedAt ?? key.text, record: record.map(Hex.encode), expected: expected)
        }
        func one(_ description: String, _ key: ClusterRecordKey, _ value: [UInt8], by signer: ClusterScenario.Node, _ expected: String)
            throws -> File.Case
        {
            File.Case(description: description, steps: [step(key, try scenario.sign(key, 1, value, by: signer), expected)])
        }
        let cases: [File.Case] = [
            try one("eu moves its child eu/node-7 to eu/node-7#1, revoking the old key", rekey, good, by: eu, "valid"),
            try one("the root, an ancestor, orders the same move", rekey, good, by: root, "valid"),
            try one("a sibling orders the move", rekey, good, by: node8, "not authorised"),
            try one("the node orders its own move", rekey, good, by: node7, "not authorised"),
            try one(
                "a move to a branch of another label", rekey, try branch(to: elsewhere.chain, revoking: try revocationRecord(of: node7)),
                by: eu, "invalid rekey"),
            try one(
                "a move that keeps the key", rekey, try branch(to: moved.chain, from: moved.chain.leaf.keyID, revoking: []), by: eu,
                "invalid rekey"),
            try one(
                "a move that carries the revocation of another node", rekey,
                try branch(to: moved.chain, revoking: try revocationRecord(of: node8)), by: eu, "conflict"),
            try one(
                "a move whose carried revocation has a damaged signature", rekey,
                try branch(to: moved.chain, revoking: damagedRevocation), by: eu, "invalid signature"),
            try one(
                "a move whose carried revocation record is signed by a sibling", rekey,
                try branch(to: moved.chain, revoking: revocationBySibling), by: eu, "not authorised"),
            try one(
                "a move with no revocation (the old key left to expire)", rekey, try branch(to: moved.chain, revoking: []), by: eu, "valid"),
            try one("a root instruction with no transition", rekey, rootWithoutTransition, by: root, "malformed input"),
            try one("the root issues eu/node-7 again under the new root", rekey, underNewRoot, by: root, "valid"),
            try one("eu signs a root instruction", rekey, underNewRoot, by: eu, "not authorised"),
            try one(
                "a move to the same branch (a self-rekey's chain)", rekey, try branch(to: sameBranch, revoking: []), by: eu,
                "invalid rekey"),
            try one(
                "a move to a chain of another cluster", rekey, try branch(to: strangerChain, revoking: []), by: eu, "untrusted root"),
            try one("a branch instruction carrying a transition", rekey, branchWithTransition, by: root, "malformed input"),
            try one("an ancestor without the certify usage orders the move", rekey, good, by: euWithoutCertify, "usage not allowed"),
            try one("a root instruction for another path", rekey, try underRoot(reissued8.chain), by: root, "invalid rekey"),
            try one("a root instruction whose chain is under the old root", rekey, try underRoot(sameBranch), by: root, "untrusted root"),
            try one(
                "a root instruction handing over from another root", rekey, try underRoot(reissued.chain, strangerTransition), by: root,
                "untrusted root"),
            try one("the root publishes the transition", handOver, transition.encoded, by: root, "valid"),
            try one("the root publishes a transition with a damaged signature", handOver, forgedTransition, by: root, "invalid signature"),
            try one("eu publishes the transition", handOver, transition.encoded, by: eu, "not authorised"),
            try one(
                "the root publishes a transition from another root", handOver, strangerTransition.encoded, by: root, "untrusted root"),
            File.Case(
                description: "an instruction copied under another node's key",
                steps: [
                    step(
                        rekey, at: ClusterRecordKey.rekey(Fixtures.path("eu/node-8"), cluster: scenario.cluster).text,
                        try scenario.sign(rekey, 1, good, by: eu), "conflict")
                ]),
            File.Case(
                description: "an older instruction written back after a newer one",
                steps: [
                    step(rekey, try scenario.sign(rekey, 2, good, by: eu), "valid"),
                    step(rekey, try scenario.sign(rekey, 1, good, by: eu), "replayed"),
                ]),
            File.Case(
                description: "an instruction deleted from etcd",
                steps: [step(rekey, try scenario.sign(rekey, 1, good, by: eu), "valid"), step(rekey, nil, "rollback")]),
        ]
        return File(
            description:
                "Arbor rekey instructions (kind 9) and root transition records (kind 10), docs/cluster.md §17 and §18. Apply each case's steps in order to a fresh reader that trusts root_certificate, at time; a step without a record deletes the key. The new root of the transition is the root key 40 … 5f; sealed keys are stand-ins. key_text is the rekey key of eu/node-7.",
            rootCertificate: Hex.encode(scenario.rootCertificate.encoded), time: Fixtures.now, keyText: rekey.text, records: cases)
    }

    @Test("the committed rekey and transition records have their outcomes")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let anchor = try TrustAnchor(name: "home", rootCertificate: try KeyCertificate(encoded: try Hex.decode(file.rootCertificate)))
        #expect(file.keyText == "arbor/\(anchor.keyID.hex)/rekeys/eu/node-7")
        #expect(file.records.count == 27)
        for recordCase in file.records {
            let outcomes = try ClusterVectorReplay.outcomes(
                of: recordCase.steps.map { ($0.storedAt, $0.record) }, anchor: anchor, at: file.time)
            #expect(outcomes == recordCase.steps.map(\.expected), "\(recordCase.description)")
        }
    }

    @Test("instructions and the transition round-trip, survive a snapshot, and the ledger lists them")
    func roundTrip() throws {
        let file = try Self.make()
        let anchor = try TrustAnchor(name: "home", rootCertificate: try KeyCertificate(encoded: try Hex.decode(file.rootCertificate)))
        var ledger = ClusterLedger(root: anchor)
        let wanted = ["the root issues eu/node-7 again under the new root", "the root publishes the transition"]
        for recordCase in file.records where wanted.contains(recordCase.description) {
            let step = recordCase.steps[0]
            try ledger.apply(try Hex.decode(try #require(step.record)), storedAt: step.storedAt, at: Fixtures.now)
        }
        let restored = try ClusterLedger(root: anchor, snapshot: ledger.snapshot)
        #expect(restored.rekeys == ledger.rekeys)
        #expect(restored.transition == ledger.transition)
        #expect(restored.rekeys[Fixtures.path("eu/node-7")]?.kind == .root)
        #expect(restored.transition?.newRoot.keyID == (try Self.newRoot.node.keySet()).keyID)
    }
}
