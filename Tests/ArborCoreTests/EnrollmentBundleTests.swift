import Crypto
import Foundation
import Testing

@testable import ArborCore

@Suite("Enrollment bundle")
struct EnrollmentBundleTests {
    let scenario: EnrollmentScenario

    init() throws { scenario = try EnrollmentScenario() }

    func code(_ body: () throws -> Void) -> ArborError.Code? {
        do {
            try body()
            return nil
        } catch let error as ArborError {
            return error.code
        } catch {
            return nil
        }
    }

    func reparsed(_ bundle: EnrollmentBundle) throws -> EnrollmentBundle { try EnrollmentBundle(encoded: bundle.encoded) }

    @Test("a bundle round-trips and verifies for its parent, its key and in time")
    func roundTrip() throws {
        let bundle = try reparsed(try scenario.bundle())
        try bundle.verify(expecting: scenario.expectation, oneTimeKey: scenario.keyID, at: Fixtures.now + 10)
        #expect(bundle.node.path == Fixtures.path("eu/node-2"))
        #expect(try bundle.node.keySet().keyID == bundle.nodeChain.leaf.keyID)
        #expect(bundle.parentChain == scenario.parent.chain)
        #expect(bundle.keyrings.map(\.name) == ["payments"])
        #expect(bundle.keyrings[0].seeds[2]?.bytesForEncoding == [UInt8](repeating: 0x22, count: 32))
        #expect(bundle.trustBundles.map(\.clusterName) == ["berlin"])
        #expect(bundle.etcdEndpoints == ["http://127.0.0.1:2379"])
        #expect(try reparsed(bundle).encoded == bundle.encoded)
    }

    @Test("the parent may be pinned by its key id instead of its path")
    func parentByKeyID() throws {
        let bundle = try scenario.bundle()
        let byKey = EnrollmentExpectation(anchor: scenario.cluster.anchor, parent: .keyID(scenario.parent.keys.keyID))
        try bundle.verify(expecting: byKey, oneTimeKey: scenario.keyID, at: Fixtures.now)
        let otherKey = EnrollmentExpectation(anchor: scenario.cluster.anchor, parent: .keyID(scenario.sibling.keys.keyID))
        #expect(code { try bundle.verify(expecting: otherKey, oneTimeKey: scenario.keyID, at: Fixtures.now) } == .notAuthorised)
        #expect(try EnrollmentExpectation.Parent(parsing: scenario.parent.keys.keyID.hex) == .keyID(scenario.parent.keys.keyID))
        #expect(try EnrollmentExpectation.Parent(parsing: "eu") == .path(Fixtures.path("eu")))
    }

    @Test("another parent, a sibling, another cluster are refused")
    func wrongParent() throws {
        let bundle = try scenario.bundle()
        let us = EnrollmentExpectation(anchor: scenario.cluster.anchor, parent: .path(Fixtures.path("us")))
        #expect(code { try bundle.verify(expecting: us, oneTimeKey: scenario.keyID, at: Fixtures.now) } == .notAuthorised)
        let bySibling = try scenario.bundle(by: scenario.sibling, path: "us/node-2")
        #expect(
            code { try bySibling.verify(expecting: scenario.expectation, oneTimeKey: scenario.keyID, at: Fixtures.now) } == .notAuthorised)
        let elsewhere = try Fixtures.Cluster()
        let foreign = EnrollmentExpectation(anchor: elsewhere.anchor, parent: .path(Fixtures.path("eu")))
        #expect(code { try bundle.verify(expecting: foreign, oneTimeKey: scenario.keyID, at: Fixtures.now) } == .untrustedRoot)
    }

    @Test("a bundle is refused after it expires and before it is issued")
    func expiry() throws {
        let bundle = try scenario.bundle()
        let expectation = scenario.expectation
        try bundle.verify(expecting: expectation, oneTimeKey: scenario.keyID, at: Fixtures.now + EnrollmentScenario.lifetime)
        #expect(
            code {
                try bundle.verify(expecting: expectation, oneTimeKey: scenario.keyID, at: Fixtures.now + EnrollmentScenario.lifetime + 1)
            }
                == .certificateExpired)
        try bundle.verify(expecting: expectation, oneTimeKey: scenario.keyID, at: Fixtures.now - EnrollmentBundle.clockSkew)
        #expect(
            code {
                try bundle.verify(expecting: expectation, oneTimeKey: scenario.keyID, at: Fixtures.now - EnrollmentBundle.clockSkew - 1)
            }
                == .certificateNotYetValid)
    }

    @Test("a bundle made for another one-time key is refused, even decrypted and re-sealed")
    func otherKey() throws {
        let bundle = try scenario.bundle(for: scenario.otherKeyID)
        #expect(
            code { try bundle.verify(expecting: scenario.expectation, oneTimeKey: scenario.keyID, at: Fixtures.now) }
                == .fingerprintMismatch)
    }

    @Test("every changed byte of the signed part is refused")
    func tampered() throws {
        let valid = try scenario.bundle().encoded.withUnsafeBytes { Array($0) }
        // The key id, the issue time, a byte of each chain, the keyring count, the last endpoint byte.
        let offsets = [5, 5 + 32 + 3, valid.count / 3, valid.count / 2, valid.count - HybridSignature.encodedSize - 1, valid.count - 10]
        for offset in offsets {
            var bytes = valid
            bytes[offset] ^= 0x01
            let outcome = code {
                try EnrollmentBundle(encoded: SecretBytes(copying: bytes)).verify(
                    expecting: scenario.expectation, oneTimeKey: scenario.keyID, at: Fixtures.now)
            }
            #expect(outcome != nil, "byte \(offset) changed and the bundle still verified")
        }
    }

    @Test("a node chain not issued through the parent's chain is refused")
    func chainNotThroughParent() throws {
        // The root certifies eu/node-2 itself: its chain has its own certificate of eu.
        let node = try scenario.cluster.issuer.certify(Fixtures.path("eu/node-2"), usage: .sign, validity: Fixtures.validity)
        let bundle = try EnrollmentBundle(
            for: scenario.keyID, issuedAt: Fixtures.now, expiresAt: Fixtures.now + 60, node: node.secret, nodeChain: node.chain,
            parent: scenario.parent)
        #expect(code { try bundle.verify(expecting: scenario.expectation, oneTimeKey: scenario.keyID, at: Fixtures.now) } == .notAuthorised)
    }

    @Test("the issuer refuses what no node should receive")
    func issuerRefusals() throws {
        let node = try scenario.parent.certify(Fixtures.path("eu/node-2"), usage: .sign, validity: Fixtures.validity)
        let make = { (expires: Int64, endpoints: [String], parent: Issuer) in
            _ = try EnrollmentBundle(
                for: scenario.keyID, issuedAt: Fixtures.now, expiresAt: expires, node: node.secret, nodeChain: node.chain,
                parent: parent, etcdEndpoints: endpoints)
        }
        #expect(code { try make(Fixtures.now, [], scenario.parent) } == .invalidArgument)
        #expect(code { try make(Fixtures.now + 60, ["etcd:2379"], scenario.parent) } == .invalidArgument)
        #expect(code { try make(Fixtures.now + 60, Array(repeating: "http://a:1", count: 17), scenario.parent) } == .limitExceeded)
        #expect(code { try make(Fixtures.now + 60, [], scenario.sibling) } == .invalidPath)
    }

    @Test("truncated, trailing and foreign bytes do not parse")
    func malformed() throws {
        let valid = try scenario.bundle().encoded.withUnsafeBytes { Array($0) }
        for bytes in [Array(valid.dropLast()), valid + [0], Array(valid.prefix(40)), [UInt8](repeating: 0, count: 64)] {
            #expect(code { _ = try EnrollmentBundle(encoded: SecretBytes(copying: bytes)) } == .malformedInput)
        }
        var version = valid
        version[4] = 2
        #expect(code { _ = try EnrollmentBundle(encoded: SecretBytes(copying: version)) } == .unsupportedVersion)
    }

    @Test("the code is four groups of five digits from the key id, typed with or without separators")
    func confirmationCode() throws {
        let keyID = scenario.keyID
        #expect(keyID.code.count == 23)
        #expect(keyID.code.split(separator: "-").map(\.count) == [5, 5, 5, 5])
        #expect(try keyID.matches(code: keyID.code))
        #expect(try keyID.matches(code: keyID.code.replacingOccurrences(of: "-", with: " ")))
        #expect(try keyID.matches(code: keyID.code.filter(\.isNumber)))
        #expect(try !keyID.matches(code: scenario.otherKeyID.code))
        #expect(code { _ = try keyID.matches(code: "1234") } == .invalidArgument)
        #expect(code { _ = try keyID.matches(code: "abcde-12345-12345-12345") } == .invalidArgument)
        #expect(code { _ = try EnrollmentKeyID(xWingPublicKey: [1, 2, 3]) } == .invalidArgument)
    }
}
