import ArborCore
import Foundation
import Testing

@testable import ArborSeal

/// Arbor's own age stanzas: `arbor-mesh` (a mesh keyring) and `arbor-tree` (a node's storage key).
@Suite("Arbor stanzas")
struct ArborStanzaTests {
    static let root = try! RootKey(bytes: SecretBytes(copying: (0..<32).map { UInt8($0) })).node
    static let now: Int64 = 1_795_000_000_000
    let plaintext = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }

    static func node(_ path: String) throws -> NodeSecret { try root.descendant(TreePath(parsing: path)) }

    @Test("a file sealed to a mesh keyring opens on any holder and on the root's re-creation")
    func meshRoundTrip() throws {
        let keyring = try MeshKeyring.create(name: "files", owner: try Self.node("eu"))
        let file = try Age.encrypt(
            plaintext, to: [.meshKeyring(keyring, origin: try TreePath(parsing: "eu/node-7"), time: Self.now)], armored: true)
        let holder = try MeshKeyringFile.decode(MeshKeyringFile.encode(keyring))
        #expect(try Age.decrypt(file, identities: [.meshKeyring(holder)]) == plaintext)
        let recreated = try MeshKeyring.create(name: "files", owner: try Self.node("eu"))
        #expect(try Age.decrypt(file, identities: [.meshKeyring(recreated)]) == plaintext)
        let header = try AgeHeader(parsing: Array(try AgeArmorForTests.dearmor(file)))
        #expect(header.stanzas.map(\.type) == ["arbor-mesh"])
    }

    @Test("retired and unknown epochs are distinct errors; another keyring is no match")
    func meshEpochs() throws {
        var keyring = try MeshKeyring.create(name: "files", owner: try Self.node("eu"))
        let holderAtEpoch1 = keyring
        let old = try Age.encrypt(plaintext, to: [.meshKeyring(keyring, origin: .root, time: Self.now)])
        try keyring.rotate(owner: try Self.node("eu"))
        let new = try Age.encrypt(plaintext, to: [.meshKeyring(keyring, origin: .root, time: Self.now)])
        #expect(throws: ArborError(.unknownEpoch, "")) { try Age.decrypt(new, identities: [.meshKeyring(holderAtEpoch1)]) }
        try keyring.retire(below: 2)
        #expect(throws: ArborError(.retiredEpoch, "")) { try Age.decrypt(old, identities: [.meshKeyring(keyring)]) }
        #expect(try Age.decrypt(new, identities: [.meshKeyring(keyring)]) == plaintext)
        let other = try MeshKeyring.create(name: "files", owner: try Self.node("us"))
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(new, identities: [.meshKeyring(other)]) }
    }

    @Test("a node's storage-key file opens for the node, its ancestors and the root, not for a sibling")
    func treeRoundTrip() throws {
        let node = try Self.node("eu/node-7").atEpoch(2)
        let file = try Age.encrypt(plaintext, to: [.treeStorageKey(of: node)])
        #expect(try Age.decrypt(file, identities: [.treeNode(node)]) == plaintext)
        #expect(try Age.decrypt(file, identities: [.treeNode(try Self.node("eu"))]) == plaintext)
        #expect(try Age.decrypt(file, identities: [.treeNode(Self.root)]) == plaintext)
        // The same node at epoch 0 (its key file holds the branch secret) also derives epoch 2.
        #expect(try Age.decrypt(file, identities: [.treeNode(try Self.node("eu/node-7"))]) == plaintext)
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(file, identities: [.treeNode(try Self.node("eu/node-8"))]) }
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(file, identities: [.treeNode(try Self.node("eu/node-7/db"))]) }
    }

    @Test("Arbor stanzas combine with a node's post-quantum recipient but not with classical X25519")
    func mixing() throws {
        let keys = try Self.node("eu/node-7").keySet()
        let keyring = try MeshKeyring.create(name: "files", owner: try Self.node("eu"))
        let recipients: [AgeRecipient] = [
            .meshKeyring(keyring, origin: .root, time: Self.now), .treeStorageKey(of: try Self.node("eu")), .postQuantum(of: keys),
        ]
        let file = try Age.encrypt(plaintext, to: recipients)
        #expect(try Age.decrypt(file, identities: [.postQuantum(of: keys)]) == plaintext)
        #expect(try Age.decrypt(file, identities: [.meshKeyring(keyring)]) == plaintext)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try Age.encrypt(plaintext, to: [.meshKeyring(keyring, origin: .root, time: Self.now), .x25519(of: keys)])
        }
    }

    @Test("a tampered Arbor stanza is refused, never decrypted")
    func tampering() throws {
        let keyring = try MeshKeyring.create(name: "files", owner: try Self.node("eu"))
        let file = try Age.encrypt(plaintext, to: [.meshKeyring(keyring, origin: .root, time: Self.now)])
        let text = String(decoding: file.prefix(400), as: UTF8.self)
        // Flip a character of the provenance argument (the line after "-> arbor-mesh ").
        let marker = try #require(text.range(of: "-> arbor-mesh "))
        var damaged = file
        let offset = text.utf8.distance(from: text.startIndex, to: marker.upperBound) + 20
        damaged[offset] = damaged[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        // Character 20 of the base64 lies in byte 15: the provenance nonce, covered by the wrapping key.
        #expect(throws: ArborError(.authenticationFailed, "")) { try Age.decrypt(damaged, identities: [.meshKeyring(keyring)]) }
    }
}

/// Removes age armor for header inspection in tests.
enum AgeArmorForTests {
    static func dearmor(_ file: [UInt8]) throws -> [UInt8] {
        let text = String(decoding: file, as: UTF8.self)
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { throw ArborError(.malformedInput, "bad armor in a test") }
        return [UInt8](data)
    }
}
