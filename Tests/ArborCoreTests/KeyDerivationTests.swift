import Crypto
import Foundation
import Testing

@testable import ArborCore

@Suite("Key tree derivation")
struct KeyDerivationTests {
    let root = Fixtures.vectorRoot.node

    @Test("the same path gives the same keys, every time")
    func determinism() throws {
        let first = try root.descendant(Fixtures.path("eu/node-7")).keySet()
        let second = try RootKey(bytes: Fixtures.vectorRoot.secretBytes).node.descendant(Fixtures.path("eu/node-7")).keySet()
        #expect(first.keyID == second.keyID)
        #expect(first.publicKeys == second.publicKeys)
        #expect(first.storageKey(purpose: "db") == second.storageKey(purpose: "db"))
    }

    @Test("siblings, branches, epochs and purposes all give independent keys")
    func independence() throws {
        let paths = ["eu", "us", "eu/node-7", "eu/node-8", "eu/node-7#1", "us/node-7", "eu/node-7/db"]
        let keys = try paths.map { try root.descendant(Fixtures.path($0)).keySet() }
        let epochs = try (1...3).map { try root.descendant(Fixtures.path("eu/node-7")).atEpoch($0).keySet() }
        let all = keys + epochs + [try root.keySet()]
        #expect(Set(all.map(\.keyID)).count == all.count)
        let signingKeys = Set(all.map { Hex.encode($0.signing.publicKey.rawRepresentation) })
        let agreementKeys = Set(all.map { Hex.encode($0.agreement.publicKey.rawRepresentation) })
        #expect(signingKeys.count == all.count)
        #expect(agreementKeys.count == all.count)
        let storage = keys[2]
        #expect(storage.storageKey(purpose: "db") != storage.storageKey(purpose: "cache"))
        #expect(storage.storageKey(purpose: "db") != keys[3].storageKey(purpose: "db"))
    }

    @Test("a parent recovers a child's keys; an intermediate node derives the same as the root")
    func parentRecoversChild() throws {
        let viaRoot = try root.descendant(Fixtures.path("eu/node-7/db"))
        let region = try root.descendant(Fixtures.path("eu"))
        let viaRegion = try region.descendant(Fixtures.path("eu/node-7/db"))
        let node = try region.descendant(Fixtures.path("eu/node-7"))
        let viaNode = try node.descendant(Fixtures.path("eu/node-7/db"))
        #expect(try viaRoot.keySet().keyID == viaRegion.keySet().keyID)
        #expect(try viaRoot.keySet().keyID == viaNode.keySet().keyID)
        #expect(viaRoot.branchSecret == viaNode.branchSecret)
        // The parent also derives any later epoch of a child that rekeyed itself.
        let childAtEpoch4 = try node.atEpoch(4).keySet()
        let derivedByParent = try region.descendant(Fixtures.path("eu/node-7")).atEpoch(4).keySet()
        #expect(childAtEpoch4.keyID == derivedByParent.keyID)
    }

    @Test(
        "a child derives neither its parent, nor its siblings, nor its earlier epochs",
        arguments: [
            ("eu/node-7", "eu"), ("eu/node-7", "eu/node-8"), ("eu/node-7", "/"), ("eu/node-7", "eu/node-7"),
            ("eu/node-7", "us/node-7/x"),
        ])
    func childCannotGoUp(from: String, to: String) throws {
        let child = try root.descendant(Fixtures.path(from))
        #expect(throws: ArborError(.invalidPath, "")) { try child.descendant(Fixtures.path(to)) }
        #expect(throws: ArborError(.invalidRekey, "")) { try child.atEpoch(2).atEpoch(1) }
    }

    @Test(
        "paths parse strictly",
        arguments: [
            "", "/", "eu", "/eu/node-7", "eu/node-7#1", "a_b/c.d/e-f",
        ])
    func validPaths(text: String) throws {
        let path = try TreePath(parsing: text)
        #expect(try TreePath(parsing: path.description) == path)
    }

    @Test(
        "bad paths are refused with an invalid-path error",
        arguments: [
            "eu//node", "EU", "eu/node 7", "eu/#1", "eu/node#0", "eu/node#01", "eu/node#-1", "eu/.hidden", "eu/-x",
            "eu/node#4294967296", String(repeating: "a", count: 64), Array(repeating: "a", count: 33).joined(separator: "/"),
            "eu/nöde",
        ])
    func invalidPaths(text: String) {
        #expect(throws: ArborError(.invalidPath, "")) { try TreePath(parsing: text) }
    }

    @Test("printing secrets shows no secret bytes")
    func redaction() throws {
        let secret = try root.descendant(Fixtures.path("eu"))
        let secretHex = Hex.encode(secret.branchSecret.bytesForEncoding)
        for text in [
            String(describing: secret), String(describing: try secret.keySet()), String(describing: Fixtures.vectorRoot),
            String(describing: Fixtures.vectorRoot.secretBytes), "\(try EphemeralKeySet.generate())",
        ] {
            #expect(!text.contains(secretHex))
            #expect(!text.contains(Hex.encode(Fixtures.vectorRoot.secret.bytesForEncoding)))
        }
    }

    @Test("ephemeral keys are random and separate from the tree")
    func ephemeral() throws {
        let first = try EphemeralKeySet.generate()
        let second = try EphemeralKeySet.generate()
        #expect(first.agreement.publicKey.rawRepresentation != second.agreement.publicKey.rawRepresentation)
        #expect(first.sessionKey != second.sessionKey)
    }
}
