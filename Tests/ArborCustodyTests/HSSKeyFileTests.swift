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

    @Test func advancingNeverGoesBack() {
        let state = LMSLeafState(identifier: Array(0..<16), leafCount: 32, nextLeaf: 10)
        #expect(state.advanced(to: 5).nextLeaf == 10)
        #expect(state.advanced(to: 20).nextLeaf == 20)
        #expect(state.advanced(to: 99).nextLeaf == 32)
        #expect(state.advanced(to: 99).remainingLeaves == 0)
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

        var (reservation, _) = try LMSLeafState(for: top).reserve(count: 1)
        let delegation = try topFile.enroll(node.publicKey, using: &reservation)
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
