import ArborCore
import ArborTestSupport
import Foundation
import Testing

@testable import ArborCustody

@Suite("GF(256) arithmetic")
struct GF256Tests {
    /// Plain branchy multiplication, obviously correct, to check the masked one against.
    private static func referenceMultiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var result: UInt16 = 0
        for bit in 0..<8 where (b >> bit) & 1 == 1 {
            result ^= UInt16(a) << bit
        }
        for bit in stride(from: 15, through: 8, by: -1) where (result >> bit) & 1 == 1 {
            result ^= 0x11B << (bit - 8)
        }
        return UInt8(result)
    }

    @Test func multiplicationMatchesReferenceForAllPairs() {
        var mismatches = 0
        for a in 0...255 {
            for b in 0...255 where GF256.multiply(UInt8(a), UInt8(b)) != Self.referenceMultiply(UInt8(a), UInt8(b)) {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        // FIPS-197 section 4.2: {57} • {83} = {c1}, and {53} is the inverse of {ca}.
        #expect(GF256.multiply(0x57, 0x83) == 0xC1)
        #expect(GF256.multiply(0x53, 0xCA) == 0x01)
    }

    @Test func everyNonZeroElementHasAnInverse() {
        for a in 1...255 {
            #expect(GF256.multiply(UInt8(a), GF256.inverse(UInt8(a))) == 1, "a = \(a)")
        }
        #expect(GF256.inverse(0) == 0)
    }
}

@Suite("Arbor Shamir shares")
struct ArborShamirTests {
    static let secret: [UInt8] = Array(0..<32).map { UInt8($0) &* 7 &+ 3 }

    @Test(arguments: [(1, 1), (1, 3), (2, 2), (2, 3), (3, 5), (5, 5), (4, 9), (17, 20)])
    func anyThresholdSubsetRecoversTheSecret(threshold: Int, shareCount: Int) throws {
        var generator = SplitMix64(seed: UInt64(threshold * 1000 + shareCount))
        let shares = try ArborShamir.split(secret: Self.secret, threshold: threshold, shareCount: shareCount, using: &generator)
        #expect(shares.count == shareCount)
        #expect(Set(shares.map(\.x)) == Set((1...shareCount).map(UInt8.init)))
        #expect(Set(shares.map(\.setIdentifier)).count == 1)
        for _ in 0..<10 {
            let subset = Array(shares.shuffled(using: &generator).prefix(threshold))
            #expect(try ArborShamir.combine(subset) == Self.secret)
        }
        #expect(try ArborShamir.combine(shares) == Self.secret)
        #expect(try ArborShamir.combine(encodedShares: shares.map(\.text)) == Self.secret)
    }

    @Test func fewerThanThresholdSharesAreRejected() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 3, shareCount: 5)
        let error = #expect(throws: CustodyError.self) { try ArborShamir.combine(Array(shares.prefix(2))) }
        #expect(error?.code == .insufficientShares)
        // A copy of a share does not count twice.
        let copies = #expect(throws: CustodyError.self) { try ArborShamir.combine([shares[0], shares[1], shares[0]]) }
        #expect(copies?.code == .insufficientShares)
        #expect(try ArborShamir.combine([shares[0], shares[1], shares[0], shares[4]]) == Self.secret)
        let none = #expect(throws: CustodyError.self) { try ArborShamir.combine([ArborShare]()) }
        #expect(none?.code == .insufficientShares)
    }

    @Test func secretLengthsAtTheLimitsWork() throws {
        for length in [1, 2, 16, 64, ArborShare.maximumSecretLength] {
            var generator = SplitMix64(seed: UInt64(length))
            let secret = generator.randomBytes(count: length)
            let shares = try ArborShamir.split(secret: secret, threshold: 2, shareCount: 3, using: &generator)
            #expect(try ArborShamir.combine(encodedShares: [shares[2].text, shares[0].text]) == secret)
        }
    }

    @Test(arguments: [
        (0, 3, 32), (4, 3, 32), (1, 0, 32), (2, 256, 32), (2, 3, 0), (2, 3, ArborShare.maximumSecretLength + 1),
    ])
    func invalidParametersAreRejected(threshold: Int, shareCount: Int, secretLength: Int) {
        let error = #expect(throws: CustodyError.self) {
            try ArborShamir.split(secret: [UInt8](repeating: 1, count: secretLength), threshold: threshold, shareCount: shareCount)
        }
        #expect(error?.code == .invalidParameters)
    }

    @Test func maximumShareCountWorks() throws {
        var generator = SplitMix64(seed: 255)
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 3, shareCount: 255, using: &generator)
        #expect(shares.last?.x == 255)
        #expect(try ArborShamir.combine([shares[254], shares[100], shares[0]]) == Self.secret)
    }

    @Test func textAndBinaryFormsRoundTrip() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 3)
        for share in shares {
            #expect(share.text.hasPrefix("arbor-share-v1-"))
            #expect(share.bytes.count == 9 + 32 + 16 + 4)
            #expect(try ArborShare(text: share.text) == share)
            #expect(
                try ArborShare(text: "  \(share.text.uppercased().replacingOccurrences(of: "ARBOR-SHARE-V1-", with: "arbor-share-v1-"))\n")
                    == share)
            #expect(try ArborShare(bytes: share.bytes) == share)
        }
    }

    @Test func aShareFromAnotherSetIsNamed() throws {
        let first = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 3)
        let second = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 3)
        let error = #expect(throws: CustodyError.self) { try ArborShamir.combine([first[0], second[1], first[2]]) }
        #expect(error?.code == .inconsistentShares)
        #expect(error?.shareNumber == 2)
    }

    @Test func aCorruptShareIsNamedByPosition() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 3).map(\.text)
        var corrupt = Array(shares[1])
        let position = corrupt.count - 10
        corrupt[position] = corrupt[position] == "0" ? "1" : "0"
        let error = #expect(throws: CustodyError.self) {
            try ArborShamir.combine(encodedShares: [shares[0], String(corrupt), shares[2]])
        }
        #expect(error?.code == .checksumMismatch)
        #expect(error?.shareNumber == 2)
        #expect(error?.message.contains("share #2") == true)
    }

    @Test func everySingleByteCorruptionIsDetected() throws {
        var generator = SplitMix64(seed: 42)
        let share = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 2, using: &generator)[0]
        let bytes = share.bytes
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var corrupt = bytes
                corrupt[index] ^= flip
                // The version and the length are read before the checksum; every other byte is covered by it.
                let expected: CustodyError.Code = [0, 7, 8].contains(index) ? .malformedShare : .checksumMismatch
                let error = #expect(throws: CustodyError.self) { try ArborShare(bytes: corrupt) }
                #expect(error?.code == expected, "byte \(index) ^ \(flip)")
            }
        }
    }

    @Test func truncatedAndGarbageInputsThrow() throws {
        let text = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 2)[0].text
        for length in 0..<text.count {
            #expect((#expect(throws: CustodyError.self) { try ArborShare(text: String(text.prefix(length))) })?.code == .malformedShare)
        }
        for garbage in [
            "", "arbor-share-v1-", "arbor-share-v2-00", "arbor-share-v1-zz", "arbor-share-v1-0", "arbor-share-v1-éé", "🌳", text + "00",
        ] {
            #expect((#expect(throws: CustodyError.self) { try ArborShare(text: garbage) })?.code == .malformedShare, "'\(garbage)'")
        }
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            let length = Int(generator.next() % 120)
            var bytes = generator.randomBytes(count: length)
            if !bytes.isEmpty { bytes[0] = 1 }
            let error = #expect(throws: CustodyError.self) { try ArborShare(bytes: bytes) }
            #expect(error?.code == .malformedShare || error?.code == .checksumMismatch)
        }
    }

    @Test func zeroThresholdOrXIsRejectedEvenWithAValidChecksum() throws {
        let share = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 2)[0]
        for field in [5, 6] {
            var body = Array(share.bytes.dropLast(4))
            body[field] = 0
            let error = #expect(throws: CustodyError.self) { try ArborShare(bytes: body + ArborShare.checksum(of: body)) }
            #expect(error?.code == .malformedShare)
        }
    }

    /// Rewrites a share's value and fixes its checksum, as an attacker with write access could.
    private static func forged(_ share: ArborShare, flippingValueByte index: Int) throws -> ArborShare {
        var body = Array(share.bytes.dropLast(4))
        body[9 + index] ^= 0x5A
        return try ArborShare(bytes: body + ArborShare.checksum(of: body))
    }

    @Test func forgedSharesAtTheThresholdAreDetected() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 3, shareCount: 5)
        let forgery = try Self.forged(shares[1], flippingValueByte: 0)
        let error = #expect(throws: CustodyError.self) { try ArborShamir.combine([shares[0], forgery, shares[2]]) }
        #expect(error?.code == .digestMismatch)
        #expect(error?.shareNumber == nil)
    }

    @Test func aForgedShareAmongExtraSharesIsNamed() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 3, shareCount: 5)
        for forgedPosition in 0..<4 {
            var input = Array(shares.prefix(4))
            input[forgedPosition] = try Self.forged(input[forgedPosition], flippingValueByte: 3)
            let error = #expect(throws: CustodyError.self) { try ArborShamir.combine(input) }
            #expect(error?.code == .digestMismatch)
            #expect(error?.shareNumber == forgedPosition + 1)
        }
    }

    @Test func twoDifferentSharesWithTheSameXAreReported() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 2, shareCount: 3)
        let forgery = try Self.forged(shares[0], flippingValueByte: 1)
        let error = #expect(throws: CustodyError.self) { try ArborShamir.combine([shares[0], shares[1], forgery]) }
        #expect(error?.code == .duplicateShare)
        #expect(error?.shareNumber == 3)
    }

    @Test func descriptionsAndErrorsNeverShowSecretBytes() throws {
        let shares = try ArborShamir.split(secret: Self.secret, threshold: 3, shareCount: 4)
        let secretHex = TestHex.encode(Self.secret)
        var texts = shares.map(\.description)
        let forgery = try Self.forged(shares[1], flippingValueByte: 0)
        for attempt in [[shares[0], forgery, shares[2]], [shares[0], forgery, shares[2], shares[3]], [shares[0]]] {
            do {
                _ = try ArborShamir.combine(attempt)
                Issue.record("combining should have failed")
            } catch {
                texts.append(String(describing: error))
            }
        }
        for text in texts {
            #expect(!text.contains(secretHex.prefix(8)))
            for share in shares {
                #expect(!text.contains(TestHex.encode(share.value.prefix(6))))
            }
        }
    }

    // MARK: - Vector file

    struct ShamirVector: Codable {
        var description: String
        var seed: UInt64
        var secret: String
        var threshold: Int
        var shareCount: Int
        var shares: [String]
    }

    struct ShamirVectorFile: Codable {
        var comment: String
        var vectors: [ShamirVector]
    }

    static let vectorSpecs: [(description: String, seed: UInt64, secretLength: Int, threshold: Int, shareCount: Int)] = [
        ("1-of-1, 16-byte secret", 1, 16, 1, 1),
        ("2-of-3, 32-byte secret", 2, 32, 2, 3),
        ("3-of-5, 32-byte secret", 3, 32, 3, 5),
        ("5-of-5, 1-byte secret", 4, 1, 5, 5),
        ("2-of-2, 64-byte secret", 5, 64, 2, 2),
    ]

    /// Builds the vectors: the secret is drawn first from SplitMix64(seed), then the split uses the same generator.
    static func makeVectors() throws -> [ShamirVector] {
        try vectorSpecs.map { spec in
            var generator = SplitMix64(seed: spec.seed)
            let secret = generator.randomBytes(count: spec.secretLength)
            let shares = try ArborShamir.split(secret: secret, threshold: spec.threshold, shareCount: spec.shareCount, using: &generator)
            return ShamirVector(
                description: spec.description,
                seed: spec.seed,
                secret: TestHex.encode(secret),
                threshold: spec.threshold,
                shareCount: spec.shareCount,
                shares: shares.map(\.text)
            )
        }
    }

    @Test func vectorFileMatchesFixedRandomness() throws {
        let fresh = try Self.makeVectors()
        if ProcessInfo.processInfo.environment["ARBOR_PRINT_SHAMIR_VECTORS"] != nil {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let file = ShamirVectorFile(
                comment:
                    "arbor-share-v1 vectors. Randomness: SplitMix64(seed), bytes taken from each next() little-endian; the secret is drawn first, then the 4-byte set identifier (big-endian), then coefficients 1..t-1 of secretLength+16 bytes each. See docs/custody-formats.md.",
                vectors: fresh
            )
            print(String(decoding: try encoder.encode(file), as: UTF8.self))
        }
        let stored = try JSONDecoder().decode(ShamirVectorFile.self, from: TestVectors.data("shamir-vectors.json"))
        #expect(stored.vectors.count == Self.vectorSpecs.count)
        for (vector, expected) in zip(stored.vectors, fresh) {
            #expect(vector.shares == expected.shares, "\(vector.description)")
            #expect(vector.secret == expected.secret)
            let recovered = try ArborShamir.combine(encodedShares: Array(vector.shares.suffix(vector.threshold)))
            #expect(TestHex.encode(recovered) == vector.secret, "\(vector.description)")
        }
    }
}

@Suite("Arbor shares: work limits")
struct ShamirLimitTests {
    @Test func moreSharesThanASetCanHoldAreRefusedBeforeCombining() throws {
        var generator = SplitMix64(seed: 8)
        let shares = try ArborShamir.split(secret: Array(repeating: 3, count: 32), threshold: 2, shareCount: 2, using: &generator)
        let flood = Array(repeating: shares[0], count: ArborShamir.maximumShareCount) + [shares[1]]
        #expect(throws: CustodyError(.limitExceeded, "")) { try ArborShamir.combine(flood) }
        #expect(throws: CustodyError(.limitExceeded, "")) { try ArborShamir.combine(encodedShares: flood.map(\.text)) }
        #expect(try ArborShamir.combine(Array(flood.suffix(ArborShamir.maximumShareCount))) == Array(repeating: 3, count: 32))
    }
}
