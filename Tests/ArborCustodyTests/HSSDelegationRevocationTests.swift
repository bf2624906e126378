import Foundation
import Testing

@testable import ArborCustody

/// Delegation revocations: made by the level above, honoured by the verifier, never forgeable
/// by a node, and pinned by a vector (docs/custody-formats.md §3.8).
@Suite("HSS delegation revocations")
struct HSSDelegationRevocationTests {
    struct Vector: Decodable {
        let topIdentifier: String
        let topSeed: String
        let nodeIdentifier: String
        let nodeSeed: String
        let leaf: UInt32
        let revocation: String
    }

    static func key(_ parameters: LMOTSParameters, identifier: String, seed: String) throws -> LMSPrivateKey {
        try LMSPrivateKey(
            parameters: .sha256M32H5, otsParameters: parameters, identifier: TestHex.decode(identifier), seed: TestHex.decode(seed))
    }

    /// A 2-level cluster key with two enrolled nodes, and a revocation of node A's delegation.
    struct Federation {
        let top: HSSKeyFile
        let nodeA: HSSKeyFile
        let nodeB: HSSKeyFile
        let delegationA: HSSDelegation
        let revocationOfA: HSSDelegationRevocation

        init(vector: Vector) throws {
            let topKey = try HSSDelegationRevocationTests.key(.sha256N32W4, identifier: vector.topIdentifier, seed: vector.topSeed)
            top = try HSSKeyFile(top: topKey, levels: 2)
            var state = LMSLeafState(for: topKey)
            func reserve() throws -> LMSLeafReservation {
                let (reservation, next) = try state.reserve(count: 1)
                state = next
                return reservation
            }
            let keyA = try HSSDelegationRevocationTests.key(.sha256N32W8, identifier: vector.nodeIdentifier, seed: vector.nodeSeed)
            let keyB = try LMSTests.key(.sha256N32W8, seed: 62)
            delegationA = try top.enroll(keyA.publicKey, using: reserve())
            nodeA = try HSSKeyFile(unenrolled: keyA).installing(delegationA)
            nodeB = try HSSKeyFile(unenrolled: keyB).installing(try top.enroll(keyB.publicKey, using: reserve()))
            #expect(state.nextLeaf == vector.leaf)
            revocationOfA = try top.revoke(delegationA, using: reserve())
        }
    }

    static let vector = Vector(
        topIdentifier: "000102030405060708090a0b0c0d0e0f", topSeed: TestHex.encode(Array(0x20...0x3f)),
        nodeIdentifier: "101112131415161718191a1b1c1d1e1f", nodeSeed: TestHex.encode(Array(0x40...0x5f)), leaf: 2,
        revocation: "")

    @Test func theRevokedNodesSignaturesAreRefusedAndTheOthersStillVerify() throws {
        let federation = try Federation(vector: Self.vector)
        let cluster = federation.top.publicKey!
        let message = Array("deploy 42".utf8)
        let fromA = try federation.nodeA.signer().sign(message, leaf: 0)
        let fromB = try federation.nodeB.signer().sign(message, leaf: 0)
        try cluster.verify(fromA, for: message, revocations: [])
        let revocation = try HSSDelegationRevocation(armored: federation.revocationOfA.armored)
        #expect(revocation == federation.revocationOfA)
        #expect(throws: CustodyError(.revoked, "")) { try cluster.verify(fromA, for: message, revocations: [revocation]) }
        try cluster.verify(fromB, for: message, revocations: [revocation])
        #expect(throws: CustodyError(.wrongKey, "")) { try cluster.verify(fromB, for: message + [0], revocations: [revocation]) }
    }

    @Test func aNodeCannotForgeARevocationOfAnotherNode() throws {
        let federation = try Federation(vector: Self.vector)
        let cluster = federation.top.publicKey!
        let genuine = federation.revocationOfA
        let message = HSSDelegationRevocation.message(publicKey: cluster, revokedKey: federation.nodeB.key.publicKey)
        // Node A signs "revoke B" with its own key, as the top key (no chain) and under its own chain.
        let bySelf = try federation.nodeA.key.sign(message, leaf: 5)
        var asTop = Array(genuine.bytes.prefix(5 + 60)) + [0, 0, 0, 0] + federation.nodeB.key.publicKey.bytes + bySelf.bytes
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegationRevocation(bytes: asTop) }
        var underChain = Array(genuine.bytes.prefix(5 + 60)) + [0, 0, 0, 1] + federation.nodeA.chain[0].bytes
        underChain += federation.nodeB.key.publicKey.bytes + bySelf.bytes
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegationRevocation(bytes: underChain) }
        // The genuine revocation with its revoked key swapped, and with one signature byte flipped.
        let revokedOffset = 5 + 60 + 4
        asTop = genuine.bytes
        asTop.replaceSubrange(revokedOffset..<revokedOffset + 56, with: federation.nodeB.key.publicKey.bytes)
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegationRevocation(bytes: asTop) }
        asTop = genuine.bytes
        asTop[asTop.count - 200] ^= 1
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegationRevocation(bytes: asTop) }
        // A node cannot revoke at all: it is the bottom level.
        let (reservation, _) = try LMSLeafState(for: federation.nodeA.key).reserve(count: 1)
        #expect(throws: CustodyError(.invalidParameters, "")) { try federation.nodeA.revoke(federation.delegationA, using: reservation) }
    }

    @Test func aRevocationOfAnotherHSSKeyDoesNotApply() throws {
        let federation = try Federation(vector: Self.vector)
        let other = try HSSKeyFile(top: try LMSTests.key(.sha256N32W4, seed: 70), levels: 2)
        let message = Array("x".utf8)
        let fromA = try federation.nodeA.signer().sign(message, leaf: 1)
        #expect(!federation.revocationOfA.revokes(fromA, under: other.publicKey!))
        #expect(federation.revocationOfA.revokes(fromA, under: federation.top.publicKey!))
    }

    @Test func theVectorReproducesByteForByte() throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let vectors = try decoder.decode([Vector].self, from: TestVectors.data("hss-revocation.json"))
        #expect(vectors.count == 1)
        for vector in vectors {
            let federation = try Federation(vector: vector)
            #expect(TestHex.encode(federation.revocationOfA.bytes) == vector.revocation)
            let parsed = try HSSDelegationRevocation(bytes: TestHex.decode(vector.revocation))
            #expect(parsed.revokedKey == federation.nodeA.key.publicKey)
            #expect(parsed.revoker == federation.top.key.publicKey)
        }
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["ARBOR_PRINT_VECTORS"] == "1"))
    func printTheVector() throws {
        print("HSS-REVOCATION " + TestHex.encode(try Federation(vector: Self.vector).revocationOfA.bytes))
    }
}
