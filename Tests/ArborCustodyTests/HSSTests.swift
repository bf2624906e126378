import ArborTestSupport
import Foundation
import Testing

@testable import ArborCustody

@Suite("HSS (RFC 8554)")
struct HSSTests {
    struct VerifyCase: Decodable, CustomTestStringConvertible, Sendable {
        var name: String
        var hss_public_key: String
        var message: String
        var hss_signature: String
        var testDescription: String { name }
    }

    struct VerifyFile: Decodable {
        var cases: [VerifyCase]
    }

    static let verifyCases: [VerifyCase] = {
        guard let data = try? TestVectors.data("hss_verify.json"),
            let file = try? JSONDecoder().decode(VerifyFile.self, from: data)
        else { return [] }
        return file.cases
    }()

    /// Cases whose parameter sets this module implements (SHA-256, n = m = 32).
    static func isSupported(_ vector: VerifyCase) -> Bool {
        (try? HSSPublicKey(bytes: TestHex.decode(vector.hss_public_key))) != nil
            && (try? HSSSignature(bytes: TestHex.decode(vector.hss_signature))) != nil
    }

    @Test func vectorFileSupportedAndSkippedCases() {
        let skipped = Self.verifyCases.filter { !Self.isSupported($0) }
        print(
            "hss_verify.json: \(Self.verifyCases.count - skipped.count) SHA-256/M32 cases verified, \(skipped.count) skipped (parameter sets not implemented): "
                + skipped.map(\.name).joined(separator: "; "))
        #expect(Self.verifyCases.count == 5)
        #expect(Self.verifyCases.count - skipped.count == 2)
        // Skipped cases are skipped for their type codes, not for being malformed.
        for vector in skipped {
            let error = #expect(throws: CustodyError.self) { try HSSPublicKey(bytes: TestHex.decode(vector.hss_public_key)) }
            #expect(error?.code == .unsupportedParameterSet, "\(vector.name)")
        }
    }

    @Test(arguments: verifyCases.filter(isSupported))
    func publishedSignatureVerifies(_ vector: VerifyCase) throws {
        let publicKey = try HSSPublicKey(bytes: TestHex.decode(vector.hss_public_key))
        let signatureBytes = TestHex.decode(vector.hss_signature)
        let signature = try HSSSignature(bytes: signatureBytes)
        let message = TestHex.decode(vector.message)
        #expect(signature.bytes == signatureBytes)
        #expect(publicKey.bytes == TestHex.decode(vector.hss_public_key))
        #expect(publicKey.isValidSignature(signature, for: message))
        #expect(!publicKey.isValidSignature(signature, for: Array(message.dropLast())))
        // Flip one bit in each region: level count, upper signature, signed key, message signature.
        for index in [3, 10, 200, signatureBytes.count / 2, signatureBytes.count - 1] {
            var tampered = signatureBytes
            tampered[index] ^= 0x01
            #expect(!publicKey.isValidSignature(bytes: tampered, for: message), "bit flip at \(index)")
        }
        for length in stride(from: 0, to: signatureBytes.count, by: 7) {
            #expect(throws: CustodyError(.malformedSignature, "")) { try HSSSignature(bytes: Array(signatureBytes.prefix(length))) }
        }
        #expect(throws: CustodyError(.malformedSignature, "")) { try HSSSignature(bytes: signatureBytes + [0]) }
    }

    /// RFC 8554 Appendix F, Test Case 2: the published private values (SEED and I
    /// of both levels) regenerate the published public key and signature byte for byte.
    @Test func rfc8554TestCase2IsReproducedFromItsPrivateValues() throws {
        let vector = try #require(Self.verifyCases.first { $0.name.contains("RFC 8554 - Test Case 2") })
        let top = try LMSPrivateKey(
            parameters: .sha256M32H10, otsParameters: .sha256N32W4,
            identifier: TestHex.decode("d08fabd4a2091ff0a8cb4ed834e74534"),
            seed: TestHex.decode("558b8966c48ae9cb898b423c83443aae014a72f1b1ab5cc85cf1d892903b5439")
        )
        let bottom = try LMSPrivateKey(
            parameters: .sha256M32H5, otsParameters: .sha256N32W8,
            identifier: TestHex.decode("215f83b7ccb9acbcd08db97b0d04dc2b"),
            seed: TestHex.decode("a1c4696e2608035a886100d05cd99945eb3370731884a8235e2fb3d4d71f2547")
        )
        let publicKey = try HSSPublicKey(levels: 2, topKey: top.publicKey)
        #expect(TestHex.encode(publicKey.bytes) == vector.hss_public_key)
        #expect(TestHex.encode(bottom.publicKey.root) == "a1cd035833e0e90059603f26e07ad2aad152338e7a5e5984bcd5f7bb4eba40b7")

        // The RFC's signature used top leaf 3 and bottom leaf 4.
        let link = try top.signPublicKey(bottom.publicKey, leaf: 3)
        let signer = try HSSSigner(publicKey: publicKey, chain: [link], key: bottom)
        let signature = try signer.sign(TestHex.decode(vector.message), leaf: 4)
        #expect(TestHex.encode(signature.bytes) == vector.hss_signature)
    }

    // MARK: - Generated keys

    @Test(arguments: [2, 3, 8])
    func multiLevelKeysSignAndVerify(levelCount: Int) throws {
        var generator = SplitMix64(seed: UInt64(levelCount))
        let otsChoices: [LMOTSParameters] = [.sha256N32W4, .sha256N32W2, .sha256N32W8, .sha256N32W1]
        let levels = (0..<levelCount).map { HSSKeyHierarchy.Level(.sha256M32H5, otsChoices[$0 % otsChoices.count]) }
        let hierarchy = try HSSKeyHierarchy.generate(levels: levels, using: &generator)
        #expect(hierarchy.publicKey.levels == levelCount)
        #expect(hierarchy.leafStates.dropLast().allSatisfy { $0.nextLeaf == 1 })
        #expect(hierarchy.leafStates.last?.nextLeaf == 0)

        let verifier = try HSSPublicKey(bytes: hierarchy.publicKey.bytes)
        let (reservation, _) = try #require(hierarchy.leafStates.last).reserve(count: 2)
        for message in [Array("first".utf8), Array("second".utf8)] {
            let signature = try hierarchy.signer.sign(message, using: reservation)
            #expect(signature.signedPublicKeys.count == levelCount - 1)
            let bytes = signature.bytes
            #expect(try HSSSignature(bytes: bytes) == signature)
            #expect(verifier.isValidSignature(bytes: bytes, for: message))
            #expect(!verifier.isValidSignature(bytes: bytes, for: message + [0]))
            // Dropping a level or claiming another level count fails.
            let wrongLevels = try HSSPublicKey(levels: levelCount - 1, topKey: verifier.topKey)
            #expect(!wrongLevels.isValidSignature(signature, for: message))
        }
    }

    /// Federated HSS: the root signs each cluster node's LMS public key once;
    /// each node then signs alone, and everything verifies under the root key.
    @Test func federatedNodesSignAloneUnderTheRootKey() throws {
        var generator = SplitMix64(seed: 2024)
        let root = try LMSPrivateKey.generate(parameters: .sha256M32H5, otsParameters: .sha256N32W4, using: &generator)
        let rootPublicKey = try HSSPublicKey(levels: 2, topKey: root.publicKey)
        var rootState = LMSLeafState(for: root)

        var signers = [HSSSigner]()
        for _ in 0..<3 {
            // On the node: its own key. Only the public key travels to the root.
            let nodeKey = try LMSPrivateKey.generate(parameters: .sha256M32H5, otsParameters: .sha256N32W8, using: &generator)
            // On the root: reserve and persist, then sign the node's key.
            let (reservation, next) = try rootState.reserve()
            rootState = next
            let link = try HSSSignedPublicKey(bytes: root.signPublicKey(nodeKey.publicKey, using: reservation).bytes)
            // Back on the node.
            signers.append(try HSSSigner(publicKey: rootPublicKey, chain: [link], key: nodeKey))
        }
        #expect(rootState.nextLeaf == 3)

        for (index, signer) in signers.enumerated() {
            let message = Array("node \(index) says hello".utf8)
            let signature = try signer.sign(message, leaf: UInt32(index))
            #expect(rootPublicKey.isValidSignature(bytes: signature.bytes, for: message))
        }
        // A node cannot use another node's link.
        let error = #expect(throws: CustodyError.self) {
            try HSSSigner(publicKey: rootPublicKey, chain: signers[0].chain, key: signers[1].key)
        }
        #expect(error?.code == .invalidParameters)
        // A link signed by a key other than the root is refused.
        let impostor = try LMSPrivateKey.generate(parameters: .sha256M32H5, otsParameters: .sha256N32W4, using: &generator)
        let forgedLink = try impostor.signPublicKey(signers[0].key.publicKey, leaf: 0)
        #expect(throws: CustodyError(.invalidParameters, "")) {
            try HSSSigner(publicKey: rootPublicKey, chain: [forgedLink], key: signers[0].key)
        }
        #expect(throws: CustodyError(.invalidParameters, "")) { try HSSSigner(publicKey: rootPublicKey, chain: [], key: signers[0].key) }
    }

    @Test func levelCountsOutsideTheRFCRangeAreRejected() throws {
        let key = try LMSTests.key(.sha256N32W8, seed: 1)
        for levels in [0, 9] {
            #expect(throws: CustodyError(.invalidParameters, "")) { try HSSPublicKey(levels: levels, topKey: key.publicKey) }
            var bytes = try HSSPublicKey(levels: 1, topKey: key.publicKey).bytes
            bytes[3] = UInt8(levels)
            #expect((#expect(throws: CustodyError.self) { try HSSPublicKey(bytes: bytes) })?.code == .malformedPublicKey)
        }
        // A signature announcing 2^32 - 1 links is refused before anything is allocated.
        let signature = try HSSSignature(signedPublicKeys: [], messageSignature: key.sign([1], leaf: 0)).bytes
        var huge = signature
        huge.replaceSubrange(0..<4, with: [0xFF, 0xFF, 0xFF, 0xFF])
        #expect((#expect(throws: CustodyError.self) { try HSSSignature(bytes: huge) })?.code == .malformedSignature)
        #expect(try HSSPublicKey(levels: 1, topKey: key.publicKey).isValidSignature(bytes: signature, for: [1]))
    }
}
