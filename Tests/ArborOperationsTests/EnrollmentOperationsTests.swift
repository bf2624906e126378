import ArborCore
import ArborOperations
import ArborSeal
import Foundation
import Testing

/// Issuing and opening sealed bundles: the parent seals to the one-time key it was given with the
/// code; the node opens only its own, from its expected parent, in time, unmodified.
@Suite("Enrollment issue and open")
struct EnrollmentOperationsTests {
    let cluster: TestCluster
    let parent: Issuer
    let oneTimeKey: AgeIdentity
    let recipient: String
    let code: String

    init() throws {
        cluster = try TestCluster()
        let eu = try cluster.issuer.certify(TreePath(parsing: "eu"), usage: .all, validity: TestCluster.validity)
        parent = try Issuer(secret: eu.secret, chain: eu.chain)
        oneTimeKey = try AgeIdentity.generatePostQuantum()
        recipient = try #require(oneTimeKey.recipient?.encoded)
        code = try EnrollmentKeyID(xWingPublicKey: try #require(oneTimeKey.recipient?.xWingPublicKey)).code
    }

    var expectation: EnrollmentExpectation {
        EnrollmentExpectation(
            anchor: try! TrustAnchor(name: "test", rootCertificate: cluster.certificate), parent: .path(try! TreePath(parsing: "eu")))
    }

    func request(code: String? = nil, recipient: String? = nil, keyrings: [MeshKeyring] = []) throws -> EnrollmentRequest {
        EnrollmentRequest(
            path: try TreePath(parsing: "eu/node-2"), recipient: recipient ?? self.recipient, code: code ?? self.code,
            keyrings: keyrings, etcdEndpoints: ["https://etcd-1:2379"])
    }

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

    @Test("the node opens what its parent issued, and the granted keyring opens the parent's tokens")
    func roundTrip() throws {
        let keyring = try MeshKeyring.create(name: "payments", owner: parent.secret)
        let token = try keyring.seal(Array("card 4111".utf8), context: Array("order-42".utf8), origin: parent.secret.path, time: 1)
        let issued = try EnrollmentIssuing.issue(try request(keyrings: [keyring]), by: parent, now: TestCluster.now)
        #expect(issued.summary.node == "eu/node-2")
        #expect(issued.summary.parent == "eu")
        #expect(issued.summary.code == code)
        #expect(issued.summary.keyrings == ["payments"])
        let bundle = try EnrollmentOpening.open(issued.file, oneTimeKey: oneTimeKey, expecting: expectation, at: TestCluster.now + 60)
        #expect(bundle.node.path.description == "eu/node-2")
        #expect(bundle.nodeChain.leaf.usage == [.sign, .keyAgreement])
        #expect(bundle.etcdEndpoints == ["https://etcd-1:2379"])
        #expect(try bundle.keyrings[0].open(token, context: Array("order-42".utf8)) == Array("card 4111".utf8))
        let armored = try EnrollmentIssuing.issue(try request(), by: parent, armored: true, now: TestCluster.now)
        #expect(armored.file.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)))
        _ = try EnrollmentOpening.open(armored.file, oneTimeKey: oneTimeKey, expecting: expectation, at: TestCluster.now)
    }

    @Test("the parent refuses a code that is not the recipient's, and a recipient that is not post-quantum")
    func issueRefusals() throws {
        let other = try #require(try AgeIdentity.generatePostQuantum().recipient?.encoded)
        #expect(
            code { _ = try EnrollmentIssuing.issue(try request(recipient: other), by: parent, now: TestCluster.now) }
                == .fingerprintMismatch)
        #expect(code { _ = try EnrollmentIssuing.issue(try request(code: "1-2-3"), by: parent, now: TestCluster.now) } == .invalidArgument)
        let classical = try #require(AgeIdentity.generateX25519().recipient?.encoded)
        #expect(
            code { _ = try EnrollmentIssuing.issue(try request(recipient: classical), by: parent, now: TestCluster.now) }
                == .invalidArgument)
        let outside = EnrollmentRequest(path: try TreePath(parsing: "us/node-1"), recipient: recipient, code: code)
        #expect(code { _ = try EnrollmentIssuing.issue(outside, by: parent, now: TestCluster.now) } == .invalidPath)
    }

    @Test("another node's key, a changed byte, another parent and a late open are refused")
    func openRefusals() throws {
        let issued = try EnrollmentIssuing.issue(try request(), by: parent, now: TestCluster.now)
        let otherNode = try AgeIdentity.generatePostQuantum()
        #expect(
            code { _ = try EnrollmentOpening.open(issued.file, oneTimeKey: otherNode, expecting: expectation, at: TestCluster.now) }
                == .noMatchingKey)
        var tampered = issued.file
        tampered[tampered.count - 20] ^= 0x01
        #expect(
            code { _ = try EnrollmentOpening.open(tampered, oneTimeKey: oneTimeKey, expecting: expectation, at: TestCluster.now) }
                == .authenticationFailed)
        let us = EnrollmentExpectation(anchor: expectation.anchor, parent: .path(try TreePath(parsing: "us")))
        #expect(
            code { _ = try EnrollmentOpening.open(issued.file, oneTimeKey: oneTimeKey, expecting: us, at: TestCluster.now) }
                == .notAuthorised)
        let late = TestCluster.now + EnrollmentRequest.defaultLifetime + 1
        #expect(
            code { _ = try EnrollmentOpening.open(issued.file, oneTimeKey: oneTimeKey, expecting: expectation, at: late) }
                == .certificateExpired)
        // The root signs a bundle for the same node: valid, but not from the parent the node expects.
        let byRoot = try EnrollmentIssuing.issue(try request(), by: cluster.issuer, now: TestCluster.now)
        #expect(
            code { _ = try EnrollmentOpening.open(byRoot.file, oneTimeKey: oneTimeKey, expecting: expectation, at: TestCluster.now) }
                == .notAuthorised)
        // Not a bundle at all, sealed to the right key: damaged.
        let junk = try Age.encrypt(Array("not a bundle".utf8), to: [try AgeRecipient(parsing: recipient)])
        #expect(
            code { _ = try EnrollmentOpening.open(junk, oneTimeKey: oneTimeKey, expecting: expectation, at: TestCluster.now) }
                == .corruptFile)
    }
}
