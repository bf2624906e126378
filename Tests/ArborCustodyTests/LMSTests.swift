import ArborCore
import ArborTestSupport
import Foundation
import Testing

@testable import ArborCustody

@Suite("LMS (RFC 8554)")
struct LMSTests {
    static func key(
        _ ots: LMOTSParameters, seed: UInt64, parameters: LMSParameters = .sha256M32H5, bottomHeight: Int? = nil
    ) throws -> LMSPrivateKey {
        var generator = SplitMix64(seed: seed)
        return try LMSPrivateKey(
            parameters: parameters, otsParameters: ots,
            identifier: generator.randomBytes(count: 16), seed: generator.randomBytes(count: 32), treeCache: nil,
            expectedPublicKey: nil, bottomHeight: bottomHeight, progress: nil
        )
    }

    @Test(arguments: LMOTSParameters.all)
    func signAndVerifyWithEveryWinternitzParameter(_ ots: LMOTSParameters) throws {
        let key = try Self.key(ots, seed: UInt64(ots.typecode))
        let publicKey = try LMSPublicKey(bytes: key.publicKey.bytes)
        #expect(publicKey == key.publicKey)
        #expect(key.publicKey.bytes.count == 56)
        let message = Array("release 1.2.3".utf8)
        for leaf: UInt32 in [0, 1, 17, 31] {
            let signature = try key.sign(message, leaf: leaf)
            #expect(signature.bytes.count == LMSParameters.sha256M32H5.signatureLength(ots: ots))
            #expect(publicKey.isValidSignature(signature, for: message))
            #expect(publicKey.isValidSignature(bytes: signature.bytes, for: message))
            #expect(!publicKey.isValidSignature(signature, for: message + [0]))
            var tampered = signature.bytes
            tampered[tampered.count / 2] ^= 1
            #expect(!publicKey.isValidSignature(bytes: tampered, for: message))
            // The same signature presented for another leaf fails.
            var otherLeaf = signature.bytes
            otherLeaf[3] ^= 1
            #expect(!publicKey.isValidSignature(bytes: otherLeaf, for: message))
        }
    }

    @Test func signaturesDoNotVerifyUnderAnotherKey() throws {
        let first = try Self.key(.sha256N32W8, seed: 1)
        let second = try Self.key(.sha256N32W8, seed: 2)
        let signature = try first.sign([1, 2, 3], leaf: 0)
        #expect(!second.publicKey.isValidSignature(signature, for: [1, 2, 3]))
    }

    /// Every split of the tree into upper levels and bottom subtrees gives the same paths, including
    /// the extremes (b = 0: all leaves in the upper levels; b = h: one subtree is the whole tree).
    @Test(arguments: [0, 1, 3, 4, 5])
    func recomputedSubtreesGiveTheSamePathsAsTheCache(bottomHeight: Int) throws {
        let cached = try Self.key(.sha256N32W2, seed: 77)
        let partial = try Self.key(.sha256N32W2, seed: 77, bottomHeight: bottomHeight)
        #expect(partial.publicKey == cached.publicKey)
        for leaf: UInt32 in [0, 5, 16, 31] {
            let signature = try partial.sign([9], leaf: leaf)
            #expect(signature == (try cached.sign([9], leaf: leaf)))
            #expect(cached.publicKey.isValidSignature(signature, for: [9]))
        }
    }

    @Test func privateKeyBytesRoundTripAndKeepTheSeedOutOfDescriptions() throws {
        var generator = SplitMix64(seed: 5)
        let key = try LMSPrivateKey.generate(parameters: .sha256M32H5, otsParameters: .sha256N32W4, using: &generator)
        let bytes = key.privateKeyBytes
        #expect(bytes.count == 56)
        let restored = try LMSPrivateKey(privateKeyBytes: bytes)
        #expect(restored.publicKey == key.publicKey)
        let seedHex = TestHex.encode(bytes.suffix(32))
        #expect(!key.description.contains(seedHex.prefix(8)))
        #expect(!String(describing: key.publicKey).contains(seedHex.prefix(8)))
        for length in [0, 8, 55, 57] {
            #expect(throws: CustodyError(.invalidParameters, "")) {
                try LMSPrivateKey(privateKeyBytes: Array(bytes.prefix(length)) + [UInt8](repeating: 0, count: max(0, length - 56)))
            }
        }
        var badType = bytes
        badType[3] = 99
        let error = #expect(throws: CustodyError.self) { try LMSPrivateKey(privateKeyBytes: badType) }
        #expect(error?.code == .unsupportedParameterSet)
    }

    // MARK: - Leaf state

    @Test func reservationsHandOutEachLeafOnce() throws {
        let key = try Self.key(.sha256N32W8, seed: 3)
        var state = LMSLeafState(for: key)
        var used = Set<UInt32>()
        while state.remainingLeaves > 0 {
            let count = min(Int(state.remainingLeaves), 3)
            let (reservation, next) = try state.reserve(count: count)
            state = next
            for _ in 0..<count {
                let signature = try key.sign([7], using: reservation)
                #expect(used.insert(signature.leaf).inserted)
                #expect(key.publicKey.isValidSignature(signature, for: [7]))
            }
            let spent = #expect(throws: CustodyError.self) { try key.sign([7], using: reservation) }
            #expect(spent?.code == .leafNotReserved)
        }
        #expect(used == Set(0..<32))
        let exhausted = #expect(throws: CustodyError.self) { try state.reserve() }
        #expect(exhausted?.code == .keyExhausted)
        let tooMany = #expect(throws: CustodyError.self) { try LMSLeafState(for: key).reserve(count: 33) }
        #expect(tooMany?.code == .keyExhausted)
        #expect(throws: CustodyError(.invalidParameters, "")) { try LMSLeafState(for: key).reserve(count: 0) }
    }

    @Test func aReservationOnlyWorksForItsOwnKey() throws {
        let key = try Self.key(.sha256N32W8, seed: 3)
        let other = try Self.key(.sha256N32W8, seed: 4)
        let (reservation, _) = try LMSLeafState(for: key).reserve(count: 2)
        let error = #expect(throws: CustodyError.self) { try other.sign([1], using: reservation) }
        #expect(error?.code == .leafNotReserved)
        #expect(reservation.leaves == 0..<2)
        let outside = #expect(throws: CustodyError.self) { try key.sign([1], leaf: 32) }
        #expect(outside?.code == .leafNotReserved)
    }

    @Test func leafStateSurvivesPersistence() throws {
        let key = try Self.key(.sha256N32W8, seed: 3)
        let (_, state) = try LMSLeafState(for: key).reserve(count: 5)
        let restored = try JSONDecoder().decode(LMSLeafState.self, from: JSONEncoder().encode(state))
        #expect(restored == state)
        #expect(restored.nextLeaf == 5)
        #expect(try restored.reserve().reservation.leaves == 5..<6)
        // Corrupted persisted states are refused rather than trusted.
        for json in [
            #"{"identifier":[1,2],"leafCount":32,"nextLeaf":0}"#,
            #"{"identifier":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"leafCount":33,"nextLeaf":0}"#,
            #"{"identifier":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"leafCount":32,"nextLeaf":33}"#,
            #"{"identifier":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0],"leafCount":32}"#,
        ] {
            #expect(throws: DecodingError.self) { try JSONDecoder().decode(LMSLeafState.self, from: Data(json.utf8)) }
        }
        // A state claiming more than the tree holds is clamped to exhausted, never wrapped.
        #expect(LMSLeafState(identifier: key.identifier, leafCount: 32, nextLeaf: 1000).remainingLeaves == 0)
    }

    // MARK: - Bad input

    @Test func truncatedOrExtendedSignaturesAndKeysThrow() throws {
        let key = try Self.key(.sha256N32W8, seed: 11)
        let signature = try key.sign([1], leaf: 2).bytes
        for length in 0..<signature.count {
            #expect(throws: CustodyError.self) { try LMSSignature(bytes: Array(signature.prefix(length))) }
        }
        #expect(throws: CustodyError.self) { try LMSSignature(bytes: signature + [0]) }
        let publicKey = key.publicKey.bytes
        for length in 0..<publicKey.count {
            #expect(throws: CustodyError.self) { try LMSPublicKey(bytes: Array(publicKey.prefix(length))) }
        }
        #expect(throws: CustodyError.self) { try LMSPublicKey(bytes: publicKey + [0]) }
    }

    @Test func unknownTypeCodesAndOutOfRangeLeavesThrow() throws {
        let key = try Self.key(.sha256N32W8, seed: 11)
        let signature = try key.sign([1], leaf: 2).bytes
        var badOTS = signature
        badOTS[7] = 0x0F
        #expect((#expect(throws: CustodyError.self) { try LMSSignature(bytes: badOTS) })?.code == .unsupportedParameterSet)
        var badLMS = signature
        badLMS[8 + 32 + 34 * 32 + 3] = 0x0A
        #expect((#expect(throws: CustodyError.self) { try LMSSignature(bytes: badLMS) })?.code == .unsupportedParameterSet)
        var badLeaf = signature
        badLeaf[0] = 0x80
        #expect((#expect(throws: CustodyError.self) { try LMSSignature(bytes: badLeaf) })?.code == .malformedSignature)
        var badKey = key.publicKey.bytes
        badKey[3] = 0
        #expect((#expect(throws: CustodyError.self) { try LMSPublicKey(bytes: badKey) })?.code == .unsupportedParameterSet)
    }

    @Test func randomBytesNeverCrashTheParsers() {
        var generator = SplitMix64(seed: 8554)
        for _ in 0..<3000 {
            let length = Int(generator.next() % 1400)
            var bytes = generator.randomBytes(count: length)
            // Steer some inputs past the type checks so deeper fields get exercised.
            if length >= 8, generator.next() % 2 == 0 {
                bytes.replaceSubrange(0..<8, with: [0, 0, 0, UInt8(generator.next() % 32), 0, 0, 0, UInt8(1 + generator.next() % 4)])
            }
            _ = try? LMSSignature(bytes: bytes)
            _ = try? LMSPublicKey(bytes: bytes)
            _ = try? HSSSignature(bytes: bytes)
            _ = try? HSSPublicKey(bytes: bytes)
            _ = try? HSSSignedPublicKey(bytes: bytes)
        }
    }

    @Test func coefficientFunctionMatchesTheRFCExample() {
        // RFC 8554 section 3.1.3: S = 0x1234, coef(S, 7, 1) = 0 and coef(S, 0, 4) = 1.
        #expect(LMOTS.coefficient([0x12, 0x34], index: 7, winternitz: 1) == 0)
        #expect(LMOTS.coefficient([0x12, 0x34], index: 0, winternitz: 4) == 1)
        #expect(LMOTS.coefficient([0x12, 0x34], index: 3, winternitz: 4) == 4)
        #expect(LMOTS.coefficient([0x12, 0x34], index: 1, winternitz: 8) == 0x34)
    }
}
