import ArborCore
import ArborTestSupport
import Crypto
import Foundation
import Testing

@testable import ArborCustody

/// Arbor's own HSS files (docs/custody-formats.md §3.6): the leaf state, the key file in each of
/// its roles, and the delegation a node installs.
@Suite("HSS key files and leaf state")
struct HSSKeyFileTests {
    /// The state vector of docs/custody-formats.md §3.6, computed independently with Python's hashlib.
    static let stateVector =
        "4152424c4d53535401000102030405060708090a0b0c0d0e0f0000040000000007a76362d9ad86fab054a6812f36e1c6d99f5d3a66897fd5425f2cccd8cc3645e5"

    @Test func leafStateEncodingMatchesTheDocumentedVector() throws {
        let state = LMSLeafState(identifier: Array(0..<16), leafCount: 1024, nextLeaf: 7)
        #expect(TestHex.encode(state.encoded) == Self.stateVector)
        #expect(try LMSLeafState(encoded: TestHex.decode(Self.stateVector)) == state)
    }

    @Test func damagedOrImpossibleStatesAreRefused() throws {
        let good = TestHex.decode(Self.stateVector)
        for index in good.indices {
            var damaged = good
            damaged[index] ^= 0x01
            #expect(throws: CustodyError(.malformedKeyFile, "")) { try LMSLeafState(encoded: damaged) }
        }
        #expect(throws: CustodyError(.malformedKeyFile, "")) { try LMSLeafState(encoded: Array(good.dropLast())) }
        // Well formed and correctly checksummed, but nextLeaf > leafCount.
        var body = Array(good[..<33])
        body.replaceSubrange(29..<33, with: [0, 0, 4, 1])
        let impossible = body + Array(SHA256.hash(data: body))
        #expect(throws: CustodyError(.malformedKeyFile, "")) { try LMSLeafState(encoded: impossible) }
    }

    @Test func advancingNeverGoesBack() throws {
        let state = LMSLeafState(identifier: Array(0..<16), leafCount: 32, nextLeaf: 10)
        // Moving the state back would hand out leaves 5…9 again: refused, not ignored.
        #expect(throws: CustodyError(.stateRollback, "")) { try state.advanced(to: 5) }
        #expect(throws: CustodyError(.stateRollback, "")) { try state.advanced(to: 0) }
        #expect(try state.advanced(to: 10).nextLeaf == 10)
        #expect(try state.advanced(to: 20).nextLeaf == 20)
        #expect(try state.advanced(to: 99).nextLeaf == 32)
        #expect(try state.advanced(to: 99).remainingLeaves == 0)
    }

    @Test func aCopiedReservationCannotHandOutALeafTwice() throws {
        let key = try LMSTests.key(.sha256N32W8, seed: 31)
        let (reservation, _) = try LMSLeafState(for: key).reserve(count: 1)
        let copy = reservation
        let first = try key.sign([1], using: reservation)
        #expect(first.leaf == 0)
        #expect(throws: CustodyError(.leafNotReserved, "")) { try key.sign([2], using: copy) }
        #expect(copy.leaves.isEmpty)
    }

    @Test func forgedDelegationLinksAreRefusedWhereverTheyArrive() throws {
        let top = try LMSTests.key(.sha256N32W4, seed: 41)
        let node = try LMSTests.key(.sha256N32W8, seed: 42)
        let impostor = try LMSTests.key(.sha256N32W4, seed: 43)
        let topFile = try HSSKeyFile(top: top, levels: 2)
        // The impostor signs the node's key and presents the link as the cluster's.
        let (reservation, _) = try LMSLeafState(for: impostor).reserve(count: 1)
        let forgedLink = try impostor.signPublicKey(node.publicKey, using: reservation)
        var bytes = topFile.publicKey!.bytes
        bytes.appendUInt32(1)
        bytes += forgedLink.bytes
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegation(bytes: bytes) }
        #expect(throws: CustodyError(.wrongKey, "")) {
            try HSSKeyFile(key: node, publicKey: topFile.publicKey!, chain: [forgedLink])
        }
        #expect(throws: CustodyError(.invalidParameters, "")) {
            try HSSSigner(publicKey: topFile.publicKey!, chain: [forgedLink], key: node)
        }
        // A genuine link with its child key swapped for the impostor's.
        let (genuine, _) = try LMSLeafState(for: top).reserve(count: 1)
        let link = try top.signPublicKey(node.publicKey, using: genuine)
        let swapped = HSSSignedPublicKey(signature: link.signature, publicKey: impostor.publicKey)
        #expect(throws: CustodyError(.wrongKey, "")) { try HSSDelegation(publicKey: topFile.publicKey!, chain: [swapped]) }
        // A key file whose links were forged and its checksum recomputed is refused as damaged.
        var file = try HSSKeyFile(key: node, publicKey: topFile.publicKey!, chain: [link]).encoded.dropLast(32)
        let linkStart = file.count - link.bytes.count
        file.replaceSubrange(linkStart..., with: forgedLink.bytes)
        let forgedFile = Array(file) + Array(SHA256.hash(data: Array(file)))
        #expect(throws: CustodyError(.malformedKeyFile, "")) { try HSSKeyFile(encoded: forgedFile) }
    }

    @Test func aKeyFileThatWouldTakeHoursToLoadIsRefused() throws {
        // H20/W8: about 2^33 hashes to compute the tree at every load.
        var bytes = [UInt8]()
        bytes.appendUInt32(LMSParameters.sha256M32H20.typecode)
        bytes.appendUInt32(LMOTSParameters.sha256N32W8.typecode)
        bytes += [UInt8](repeating: 7, count: 16 + 32)
        let started = ContinuousClock.now
        #expect(throws: CustodyError(.limitExceeded, "")) { try LMSPrivateKey(privateKeyBytes: bytes) }
        var file = Array("AHSK".utf8) + [1] + bytes
        file.appendUInt32(0)
        file += Array(SHA256.hash(data: file))
        #expect(throws: CustodyError(.limitExceeded, "")) { try HSSKeyFile(encoded: file) }
        #expect(ContinuousClock.now - started < .seconds(2))
        for parameters in LMSParameters.all where parameters.height == 25 {
            for ots in LMOTSParameters.all {
                #expect(LMSPrivateKey.treeHashCount(parameters, ots) > LMSPrivateKey.maximumTreeHashCount)
            }
        }
    }

    @Test func keyFilesRoundTripInEveryRoleAndNodesSignAfterInstalling() throws {
        let top = try LMSTests.key(.sha256N32W4, seed: 21)
        let node = try LMSTests.key(.sha256N32W8, seed: 22)
        let topFile = try HSSKeyFile(top: top, levels: 2)
        let pending = HSSKeyFile(unenrolled: node)
        #expect(topFile.delegates && !topFile.signsMessages)
        #expect(!pending.delegates && !pending.signsMessages)
        #expect(throws: CustodyError(.invalidParameters, "")) { try pending.signer() }
        #expect(throws: CustodyError(.invalidParameters, "")) { try topFile.signer() }

        let (reservation, _) = try LMSLeafState(for: top).reserve(count: 1)
        let delegation = try topFile.enroll(node.publicKey, using: reservation)
        let parsedDelegation = try HSSDelegation(bytes: delegation.bytes)
        #expect(parsedDelegation == delegation)
        #expect(delegation.bytes.starts(with: topFile.publicKey!.bytes))
        let installed = try pending.installing(parsedDelegation)
        #expect(installed.signsMessages)

        for file in [topFile, pending, installed] {
            let reread = try HSSKeyFile(armored: file.armored)
            #expect(reread.encoded == file.encoded)
            #expect(reread.publicKey == file.publicKey)
            #expect(!file.armored.contains(TestHex.encode(node.privateKeyBytes.suffix(32))))
        }
        let signer = try HSSKeyFile(armored: installed.armored).signer()
        let signature = try signer.sign(Array("hello".utf8), leaf: 3)
        #expect(topFile.publicKey!.isValidSignature(signature, for: Array("hello".utf8)))
        // Another node cannot install this delegation; a damaged key file is refused.
        let stranger = HSSKeyFile(unenrolled: try LMSTests.key(.sha256N32W8, seed: 23))
        #expect(throws: CustodyError(.wrongKey, "")) { try stranger.installing(parsedDelegation) }
        var damaged = installed.encoded
        damaged[70] ^= 0x40
        #expect(throws: CustodyError(.malformedKeyFile, "")) { try HSSKeyFile(encoded: damaged) }
        #expect(throws: CustodyError(.malformedKeyFile, "")) { try HSSKeyFile(armored: "not armored") }
    }

    @Test func randomBytesAreRefusedWithoutCrashingTheFileParsers() {
        var generator = SplitMix64(seed: 99)
        var accepted = 0
        for length in [0, 4, 60, 64, 65, 200, 1500] {
            for _ in 0..<50 {
                let bytes = generator.randomBytes(count: length)
                if (try? HSSDelegation(bytes: bytes)) != nil { accepted += 1 }
                if (try? HSSKeyFile(encoded: bytes)) != nil { accepted += 1 }
                if (try? LMSLeafState(encoded: bytes)) != nil { accepted += 1 }
            }
        }
        #expect(accepted == 0)
    }
}
