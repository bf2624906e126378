import Foundation
import Testing

@testable import ArborCore

/// The committed vector file `Vectors/cluster-enrollment.json` (docs/cluster.md, "Enrollment"):
/// signed enrollment bundles with what the node expects and the outcome each must have, and the
/// one-time key's id and code. Bundles are signed with ML-DSA (randomised), so they are
/// re-verified, not rebuilt. Regenerate with
/// `ARBOR_WRITE_VECTORS=1 swift test --filter EnrollmentVectorTests`.
@Suite("Enrollment vectors")
struct EnrollmentVectorTests {
    struct File: Codable {
        var description: String
        var rootKey: String
        var rootCertificate: String
        var oneTimeSeed: String
        var oneTimePublicKey: String
        var oneTimeKeyId: String
        var code: String
        var cases: [Case]
    }

    struct Case: Codable {
        var description: String
        var bundle: String
        var parent: String
        var time: Int64
        var expected: String
    }

    static let fileName = "cluster-enrollment.json"

    static func make() throws -> File {
        let scenario = try EnrollmentScenario()
        return File(
            description:
                "Arbor enrollment bundles (docs/cluster.md, Enrollment). For each case: parse the bundle, then verify it as the node whose one-time key is one_time_public_key, trusting root_certificate alone, expecting the parent given, at time.",
            rootKey: Hex.encode(Fixtures.vectorRoot.secretBytes.withUnsafeBytes { Array($0) }),
            rootCertificate: Hex.encode(scenario.cluster.rootCertificate.encoded),
            oneTimeSeed: Hex.encode(EnrollmentScenario.oneTimeSeed),
            oneTimePublicKey: Hex.encode(scenario.oneTimePublicKey),
            oneTimeKeyId: scenario.keyID.hex,
            code: scenario.keyID.code,
            cases: try scenario.cases().map {
                Case(description: $0.description, bundle: Hex.encode($0.bundle), parent: $0.parent, time: $0.time, expected: $0.expected)
            })
    }

    @Test("the committed bundles have their outcomes, and the one-time key's id and code recompute")
    func committedVectors() throws {
        try Fixtures.writeVectorsIfAsked({ try Self.make() }, to: Self.fileName)
        let file = try Fixtures.loadVectors(File.self, from: Self.fileName)
        let scenario = try EnrollmentScenario()
        // The root certificate's ML-DSA signature is randomised: its key, not its bytes, recomputes.
        let rootCertificate = try KeyCertificate(encoded: try Hex.decode(file.rootCertificate))
        #expect(rootCertificate.keyID == scenario.cluster.rootCertificate.keyID)
        let anchor = try TrustAnchor(name: "vectors", rootCertificate: rootCertificate)
        #expect(file.oneTimePublicKey == Hex.encode(scenario.oneTimePublicKey))
        let keyID = try EnrollmentKeyID(xWingPublicKey: try Hex.decode(file.oneTimePublicKey))
        #expect(keyID.hex == file.oneTimeKeyId)
        #expect(keyID.code == file.code)
        #expect(file.cases.count == 6)
        for testCase in file.cases {
            let outcome = scenario.outcome(of: try Hex.decode(testCase.bundle), anchor: anchor, parent: testCase.parent, at: testCase.time)
            #expect(outcome == testCase.expected, "\(testCase.description)")
        }
    }
}
