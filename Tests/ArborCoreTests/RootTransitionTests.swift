import Crypto
import Foundation
import Testing

@testable import ArborCore

/// The root rekey's hand-over record (docs/keys.md, "Root transition").
struct RootTransitionTests {
    let old: Fixtures.Cluster
    let new: Fixtures.Cluster

    init() throws {
        old = try Fixtures.Cluster()
        new = try Fixtures.Cluster()
    }

    func transition(at time: Int64 = Fixtures.now) throws -> RootTransition {
        try RootTransition.make(
            from: try old.root.node.keySet(), certificate: old.rootCertificate,
            to: try new.root.node.keySet(), certificate: new.rootCertificate, at: time)
    }

    @Test func aTransitionSignedByBothRootsMovesTheAnchorToTheNewRootUnderItsName() throws {
        let next = try transition().verify(from: old.anchor)
        #expect(next.rootCertificate == new.rootCertificate)
        #expect(next.name == old.anchor.name)
        #expect(next.safetyNumber == new.anchor.safetyNumber)
        #expect(next.safetyNumber != old.anchor.safetyNumber)
    }

    @Test func itSurvivesEncodingAndArmor() throws {
        let made = try transition()
        #expect(try RootTransition(encoded: made.encoded) == made)
        #expect(try RootTransition(armored: made.armored) == made)
        #expect(made.armored.hasPrefix("-----BEGIN ARBOR ROOT TRANSITION-----"))
        #expect(try RootTransition(armored: made.armored).verify(from: old.anchor).keyID == new.anchor.keyID)
    }

    @Test func aTransitionFromAnotherRootIsRefused() throws {
        let stranger = try Fixtures.Cluster()
        #expect(throws: ArborError(.untrustedRoot, "")) { try transition().verify(from: stranger.anchor) }
        // Nor can the new root's holders walk back with it: it starts at the old root only.
        #expect(throws: ArborError(.untrustedRoot, "")) { try transition().verify(from: new.anchor) }
    }

    @Test func everySignedByteIsCovered() throws {
        let bytes = try transition().encoded
        let signedCount = bytes.count - 2 * HybridSignature.encodedSize
        // The time (the last 8 signed bytes), a byte of each certificate, each signature's halves.
        for index in [signedCount - 1, 12, signedCount / 2, signedCount + 3, signedCount + 100, bytes.count - 1] {
            var changed = bytes
            changed[index] ^= 0x01
            #expect(throws: ArborError.self) { try RootTransition(encoded: changed).verify(from: old.anchor) }
        }
    }

    @Test func theSignaturesCannotSwapRoles() throws {
        let made = try transition()
        let swapped = try RootTransition(
            encoded: RootTransition.signedBody(oldRoot: made.oldRoot, newRoot: made.newRoot, time: made.time)
                + encode(made.newRootSignature) + encode(made.oldRootSignature))
        #expect(throws: ArborError(.invalidSignature, "")) { try swapped.verify(from: old.anchor) }
    }

    @Test func aSignatureByOneRootOnlyIsRefused() throws {
        let made = try transition()
        let body = RootTransition.signedBody(oldRoot: made.oldRoot, newRoot: made.newRoot, time: made.time)
        // The new root signs both parts: the old root never agreed.
        let newKeys = try new.root.node.keySet()
        let forged = try RootTransition(
            encoded: body
                + encode(try HybridSignature.sign(domain: RootTransition.oldRootDomain, body: body, with: newKeys))
                + encode(made.newRootSignature))
        #expect(throws: ArborError(.invalidSignature, "")) { try forged.verify(from: old.anchor) }
    }

    @Test func theSameRootOrANewRootNotYetValidIsNotATransition() throws {
        let oldKeys = try old.root.node.keySet()
        #expect(throws: ArborError(.invalidRekey, "")) {
            try RootTransition.make(
                from: oldKeys, certificate: old.rootCertificate, to: oldKeys, certificate: old.rootCertificate, at: Fixtures.now)
        }
        #expect(throws: ArborError(.invalidRekey, "")) { try transition(at: Fixtures.validity.notBefore - 1) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try RootTransition.make(
                from: oldKeys, certificate: new.rootCertificate, to: try new.root.node.keySet(), certificate: new.rootCertificate,
                at: Fixtures.now)
        }
    }

    @Test func truncatedOrTrailingBytesAreMalformed() throws {
        let bytes = try transition().encoded
        #expect(throws: ArborError(.malformedInput, "")) { try RootTransition(encoded: Array(bytes.dropLast())) }
        #expect(throws: ArborError(.malformedInput, "")) { try RootTransition(encoded: bytes + [0]) }
        #expect(throws: ArborError(.malformedInput, "")) { try RootTransition(encoded: Array(bytes.prefix(40))) }
    }

    private func encode(_ signature: HybridSignature) -> [UInt8] {
        var writer = ByteWriter()
        signature.encode(into: &writer)
        return writer.bytes
    }
}
