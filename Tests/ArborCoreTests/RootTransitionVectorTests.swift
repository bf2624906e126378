import Crypto
import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/root-transition.json` (docs/keys.md §20.1): root transitions
/// between two fixed roots, each with the outcome a reader trusting the old root must reach. The
/// signatures are randomised (ML-DSA), so the file is re-verified, not rebuilt. Regenerate with
/// `ARBOR_WRITE_VECTORS=1 swift test --filter RootTransitionVectorTests`.
@Suite("Root transition vectors")
struct RootTransitionVectorTests {
    struct File: Codable {
        var description: String
        var oldRootKey: String
        var newRootKey: String
        var oldRootCertificate: String
        var newRootCertificate: String
        var cases: [Case]
    }

    struct Case: Codable {
        var description: String
        var transition: String
        /// `valid`, or the error code reading and verifying must give.
        var expected: String
        /// For a valid case: the new root's safety number, in digits.
        var newSafetyNumber: String?
    }

    static let fileName = "root-transition.json"
    static let newRoot = RootKey(secret: SymmetricKey(data: (32..<64).map { UInt8($0) }))

    static func make() throws -> File {
        let oldKeys = try Fixtures.vectorRoot.node.keySet()
        let newKeys = try newRoot.node.keySet()
        let oldCertificate = try KeyCertificate.root(oldKeys, validity: Fixtures.validity)
        let newCertificate = try KeyCertificate.root(newKeys, validity: Fixtures.validity)
        let transition = try RootTransition.make(
            from: oldKeys, certificate: oldCertificate, to: newKeys, certificate: newCertificate, at: Fixtures.now)
        let valid = transition.encoded
        let signedCount = valid.count - 2 * HybridSignature.encodedSize
        func flipped(_ index: Int) -> [UInt8] {
            var bytes = valid
            bytes[index] ^= 0x01
            return bytes
        }
        let body = RootTransition.signedBody(oldRoot: oldCertificate, newRoot: newCertificate, time: Fixtures.now)
        var swapped = ByteWriter()
        swapped.append(raw: body)
        transition.newRootSignature.encode(into: &swapped)
        transition.oldRootSignature.encode(into: &swapped)
        var version2 = valid
        version2[4] = 2
        let cases = [
            Case(
                description: "the old root hands over to the new root", transition: Hex.encode(valid), expected: "valid",
                newSafetyNumber: SafetyNumber(rootKeys: newKeys.publicKeys).digits),
            Case(
                description: "the time changed after signing", transition: Hex.encode(flipped(signedCount - 1)),
                expected: "invalid signature"),
            Case(
                description: "a bit of the old root's ML-DSA-65 signature flipped", transition: Hex.encode(flipped(signedCount + 100)),
                expected: "invalid signature"),
            Case(
                description: "a bit of the new root's Ed25519 signature flipped",
                transition: Hex.encode(flipped(signedCount + HybridSignature.encodedSize + 1)), expected: "invalid signature"),
            Case(description: "the two signatures swapped", transition: Hex.encode(swapped.bytes), expected: "invalid signature"),
            Case(description: "one byte missing at the end", transition: Hex.encode(Array(valid.dropLast())), expected: "malformed input"),
            Case(description: "version 2", transition: Hex.encode(version2), expected: "unsupported version"),
        ]
        return File(
            description:
                "Arbor root transitions (docs/keys.md §20). A reader trusting old_root_certificate reads each transition and verifies it from that root; expected is valid or the error code.",
            oldRootKey: Hex.encode(Fixtures.vectorRoot.secretBytes.withUnsafeBytes { Array($0) }),
            newRootKey: Hex.encode(newRoot.secretBytes.withUnsafeBytes { Array($0) }),
            oldRootCertificate: Hex.encode(oldCertificate.encoded),
            newRootCertificate: Hex.encode(newCertificate.encoded),
            cases: cases
        )
    }

    @Test("the committed transitions have their outcomes")
    func committed() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let oldCertificate = try KeyCertificate(encoded: try Hex.decode(file.oldRootCertificate))
        let newCertificate = try KeyCertificate(encoded: try Hex.decode(file.newRootCertificate))
        #expect(oldCertificate.publicKeys == (try Fixtures.vectorRoot.node.keySet().publicKeys))
        #expect(newCertificate.publicKeys == (try Self.newRoot.node.keySet().publicKeys))
        let anchor = try TrustAnchor(name: "home", rootCertificate: oldCertificate)
        #expect(file.cases.count == 7)
        for vector in file.cases {
            do {
                let next = try RootTransition(encoded: try Hex.decode(vector.transition)).verify(from: anchor)
                #expect(vector.expected == "valid", "\(vector.description)")
                #expect(next.rootCertificate == newCertificate)
                #expect(next.safetyNumber.digits == vector.newSafetyNumber)
            } catch let error as ArborError {
                #expect(error.code.description == vector.expected, "\(vector.description)")
            }
        }
    }
}
