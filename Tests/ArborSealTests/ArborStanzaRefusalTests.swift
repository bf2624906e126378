import ArborCore
import Crypto
import Foundation
import Testing

@testable import ArborSeal

/// Attacker-made Arbor stanzas, each refused with its exact error: malformed stanzas (argument
/// counts, base64, lengths), tampered ones (a flipped byte anywhere), and counts chosen to make the
/// reader work before anything is authenticated (an `arbor-tree` epoch, an scrypt work factor).
@Suite("Arbor stanzas an attacker made")
struct ArborStanzaRefusalTests {
    static let root = ArborStanzaTests.root
    static let now = ArborStanzaTests.now
    static let plaintext = Array("sealed to the tree".utf8)

    static func node(_ path: String) throws -> NodeSecret { try ArborStanzaTests.node(path) }

    /// A well-formed age file around `stanzas`: its header MAC and payload are made with a file key
    /// the attacker chose, so only the stanza can stop it.
    static func file(with stanzas: [AgeStanza]) throws -> [UInt8] {
        let fileKey = SymmetricKey(size: .bits128)
        let header = AgeHeader.seal(stanzas: stanzas, fileKey: fileKey)
        let nonce = [UInt8](repeating: 7, count: AgeChunkCipher.payloadNonceSize)
        let payloadKey = AgeChunkCipher.payloadKey(fileKey: fileKey, nonce: nonce)
        return header.encoded + nonce
            + (try AgeChunkCipher.seal(plaintext[...], firstCounter: 0, endsStream: true, key: payloadKey))
    }

    /// The single stanza of a real file sealed to `recipient`, and that file.
    static func sealed(to recipient: AgeRecipient) throws -> (stanza: AgeStanza, file: [UInt8]) {
        let file = try Age.encrypt(plaintext, to: [recipient])
        let header = try AgeHeader(parsing: file)
        return (try #require(header.stanzas.first), file)
    }

    /// `file` with its header's single stanza replaced by `stanza`, the rest (MAC included) as is.
    static func replacing(_ stanza: AgeStanza, in file: [UInt8]) throws -> [UInt8] {
        let header = try AgeHeader(parsing: file)
        let original = try #require(header.stanzas.first).encoded
        let start = AgeHeader.versionLine.count + 1
        #expect(Array(file[start..<start + original.count]) == original)
        return Array(file[..<start]) + stanza.encoded + Array(file[(start + original.count)...])
    }

    static func stanza(_ type: String, _ arguments: [String], body: [UInt8]) throws -> AgeStanza {
        try AgeStanza(type: type, arguments: arguments, body: body)
    }

    static func base64(_ bytes: [UInt8]) -> String { AgeBase64.encodeString(bytes) }

    static func flipping(_ argument: String, byte index: Int) throws -> String {
        var bytes = try #require(AgeBase64.decode(Array(argument.utf8), padded: false))
        bytes[index] ^= 0x01
        return base64(bytes)
    }

    // MARK: - arbor-tree: the epoch bound

    @Test("an arbor-tree stanza with a huge epoch is refused before the ratchet runs (no key needed to make one)")
    func hugeEpoch() throws {
        let salt = Self.base64([UInt8](repeating: 1, count: 16))
        let body = [UInt8](repeating: 2, count: 32)
        for epoch in [UInt32.max, 1_000_000, AgeIdentity.defaultMaximumEpochsAhead + 1] {
            let forged = try Self.file(with: [try Self.stanza("arbor-tree", ["eu/node-7", String(epoch), salt], body: body)])
            // The root, an ancestor and the node itself (at epoch 0) each refuse it.
            for identity in [Self.root, try Self.node("eu"), try Self.node("eu/node-7")] {
                #expect(throws: ArborError(.limitExceeded, "")) { try Age.decrypt(forged, identities: [.treeNode(identity)]) }
            }
        }
        // A stanza for another subtree is skipped, whatever its epoch: nothing is derived for it.
        let elsewhere = try Self.file(with: [try Self.stanza("arbor-tree", ["us/node-1", String(UInt32.max), salt], body: body)])
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(elsewhere, identities: [.treeNode(try Self.node("eu"))]) }
    }

    @Test("the epoch bound counts from the identity's own epoch for its own path, from 0 below it")
    func epochBoundaries() throws {
        let salt = Self.base64([UInt8](repeating: 1, count: 16))
        let body = [UInt8](repeating: 2, count: 32)
        func forged(_ path: String, _ epoch: UInt32) throws -> [UInt8] {
            try Self.file(with: [try Self.stanza("arbor-tree", [path, String(epoch), salt], body: body)])
        }
        let node = try Self.node("eu/node-7").atEpoch(100)
        // At the limit the stanza is derived and tried: the forged body does not authenticate.
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try Age.decrypt(try forged("eu/node-7", 110), identities: [.treeNode(node, maximumEpochsAhead: 10)])
        }
        #expect(throws: ArborError(.limitExceeded, "")) {
            try Age.decrypt(try forged("eu/node-7", 111), identities: [.treeNode(node, maximumEpochsAhead: 10)])
        }
        let parent = try Self.node("eu").atEpoch(100)
        #expect(throws: ArborError(.authenticationFailed, "")) {
            try Age.decrypt(try forged("eu/node-7", 10), identities: [.treeNode(parent, maximumEpochsAhead: 10)])
        }
        #expect(throws: ArborError(.limitExceeded, "")) {
            try Age.decrypt(try forged("eu/node-7", 11), identities: [.treeNode(parent, maximumEpochsAhead: 10)])
        }
        // The sum saturates instead of wrapping around.
        let last = try Self.node("eu/node-7").atEpoch(UInt32.max - 1)
        #expect(TreeStorageKeyStanza.maximumEpoch(for: last.path, identity: last, epochsAhead: 10) == UInt32.max)
    }

    @Test("a genuine file past the bound opens once the caller raises it")
    func genuineHighEpoch() throws {
        let node = try Self.node("eu/node-7").atEpoch(20)
        let file = try Age.encrypt(Self.plaintext, to: [.treeStorageKey(of: node)])
        #expect(try Age.decrypt(file, identities: [.treeNode(node, maximumEpochsAhead: 0)]) == Self.plaintext)
        #expect(throws: ArborError(.limitExceeded, "")) {
            try Age.decrypt(file, identities: [.treeNode(try Self.node("eu"), maximumEpochsAhead: 19)])
        }
        #expect(try Age.decrypt(file, identities: [.treeNode(try Self.node("eu"), maximumEpochsAhead: 20)]) == Self.plaintext)
    }

    // MARK: - arbor-tree: malformed and tampered

    @Test("malformed arbor-tree stanzas are header errors")
    func malformedTree() throws {
        let (stanza, file) = try Self.sealed(to: .treeStorageKey(of: try Self.node("eu/node-7").atEpoch(3)))
        let (path, epoch, salt) = (stanza.arguments[0], stanza.arguments[1], stanza.arguments[2])
        #expect((path, epoch) == ("eu/node-7", "3"))
        let malformed: [(String, [String], [UInt8])] = [
            ("two arguments", [path, epoch], stanza.body),
            ("four arguments", [path, epoch, salt, salt], stanza.body),
            ("a non-canonical path", ["eu//node-7", epoch, salt], stanza.body),
            ("a path with a trailing slash", ["eu/node-7/", epoch, salt], stanza.body),
            ("an epoch with a leading zero", [path, "03", salt], stanza.body),
            ("a signed epoch", [path, "+3", salt], stanza.body),
            ("a negative epoch", [path, "-3", salt], stanza.body),
            ("an epoch past u32", [path, "4294967296", salt], stanza.body),
            ("a hexadecimal epoch", [path, "0x3", salt], stanza.body),
            ("padded base64 salt", [path, epoch, salt + "=="], stanza.body),
            ("a 15-byte salt", [path, epoch, Self.base64([UInt8](repeating: 1, count: 15))], stanza.body),
            ("a 17-byte salt", [path, epoch, Self.base64([UInt8](repeating: 1, count: 17))], stanza.body),
            ("a salt that is not base64", [path, epoch, String(salt.dropLast()) + "!"], stanza.body),
            // The last of 22 characters carries 2 bits of the salt; "B" sets one of its 4 unused bits.
            ("a non-canonical salt (unused bits set)", [path, epoch, String(salt.dropLast()) + "B"], stanza.body),
            ("a 31-byte body", [path, epoch, salt], Array(stanza.body.dropLast())),
            ("a 33-byte body", [path, epoch, salt], stanza.body + [0]),
            ("an empty body", [path, epoch, salt], []),
        ]
        for (what, arguments, body) in malformed {
            let damaged = try Self.replacing(try Self.stanza("arbor-tree", arguments, body: body), in: file)
            #expect(throws: ArborError(.corruptFile, ""), "\(what)") {
                try Age.decrypt(damaged, identities: [.treeNode(Self.root)])
            }
        }
        // The file itself opens: each refusal above is the stanza's.
        #expect(try Age.decrypt(file, identities: [.treeNode(Self.root)]) == Self.plaintext)
    }

    @Test("a flipped bit anywhere in an arbor-tree stanza is refused: authentication, or another node's stanza")
    func tamperedTree() throws {
        let (stanza, file) = try Self.sealed(to: .treeStorageKey(of: try Self.node("eu/node-7").atEpoch(3)))
        let (path, epoch, salt) = (stanza.arguments[0], stanza.arguments[1], stanza.arguments[2])
        var tampered: [(String, [String], [UInt8])] = [
            ("another node below the identity", ["eu/node-8", epoch, salt], stanza.body),
            ("a descendant of the node", ["eu/node-7/db", epoch, salt], stanza.body),
            ("another epoch", [path, "4", salt], stanza.body),
            ("an earlier epoch", [path, "2", salt], stanza.body),
        ]
        for index in 0..<16 { tampered.append(("salt byte \(index)", [path, epoch, try Self.flipping(salt, byte: index)], stanza.body)) }
        for index in 0..<32 {
            var body = stanza.body
            body[index] ^= 0x80
            tampered.append(("body byte \(index)", [path, epoch, salt], body))
        }
        for (what, arguments, body) in tampered {
            let damaged = try Self.replacing(try Self.stanza("arbor-tree", arguments, body: body), in: file)
            #expect(throws: ArborError(.authenticationFailed, ""), "\(what)") {
                try Age.decrypt(damaged, identities: [.treeNode(Self.root)])
            }
        }
        // Moved out of the identity's subtree, the stanza is not its to open.
        let moved = try Self.replacing(try Self.stanza("arbor-tree", ["us/node-7", epoch, salt], body: stanza.body), in: file)
        #expect(throws: ArborError(.noMatchingKey, "")) { try Age.decrypt(moved, identities: [.treeNode(try Self.node("eu"))]) }
    }

    // MARK: - arbor-mesh: malformed and tampered

    static func meshFile() throws -> (keyring: MeshKeyring, stanza: AgeStanza, file: [UInt8]) {
        var keyring = try MeshKeyring.create(name: "files", owner: try node("eu"))
        try keyring.rotate(owner: try node("eu"))
        let (stanza, file) = try sealed(to: .meshKeyring(keyring, origin: try TreePath(parsing: "eu/node-7"), time: now))
        return (keyring, stanza, file)
    }

    @Test("malformed arbor-mesh stanzas are header errors")
    func malformedMesh() throws {
        let (keyring, stanza, file) = try Self.meshFile()
        let header = stanza.arguments[0]
        let provenance = try #require(AgeBase64.decode(Array(header.utf8), padded: false))
        var signedFlag = provenance
        signedFlag[1] |= 0x80
        var unknownVersion = provenance
        unknownVersion[0] = 0x7F
        var unknownCipher = provenance
        unknownCipher[1] = 0x7F
        let malformed: [(String, [String], [UInt8])] = [
            ("no argument", [], stanza.body),
            ("two arguments", [header, header], stanza.body),
            ("padded base64", [header + "="], stanza.body),
            ("not base64", [String(header.dropLast()) + "*"], stanza.body),
            ("a 39-byte header", [Self.base64(Array(provenance.dropLast()))], stanza.body),
            ("a 41-byte header", [Self.base64(provenance + [0])], stanza.body),
            ("a signature flag", [Self.base64(signedFlag)], stanza.body),
            ("an unknown version", [Self.base64(unknownVersion)], stanza.body),
            ("an unknown cipher", [Self.base64(unknownCipher)], stanza.body),
            ("a 31-byte body", [header], Array(stanza.body.dropLast())),
            ("a 33-byte body", [header], stanza.body + [0]),
        ]
        for (what, arguments, body) in malformed {
            let damaged = try Self.replacing(try Self.stanza("arbor-mesh", arguments, body: body), in: file)
            #expect(throws: ArborError(.corruptFile, ""), "\(what)") { try Age.decrypt(damaged, identities: [.meshKeyring(keyring)]) }
        }
        #expect(try Age.decrypt(file, identities: [.meshKeyring(keyring)]) == Self.plaintext)
    }

    @Test("a flipped bit anywhere in an arbor-mesh stanza is refused with the field's error")
    func tamperedMesh() throws {
        let (keyring, stanza, file) = try Self.meshFile()
        let header = stanza.arguments[0]
        func expectRefusal(_ code: ArborError.Code, _ what: String, _ arguments: [String], _ body: [UInt8]) throws {
            let damaged = try Self.replacing(try Self.stanza("arbor-mesh", arguments, body: body), in: file)
            #expect(throws: ArborError(code, ""), "\(what)") { try Age.decrypt(damaged, identities: [.meshKeyring(keyring)]) }
        }
        // Provenance layout (docs/formats.md): version, flags, keyring id 2..<6, epoch 6..<10, nonce, time, origin 10..<40.
        var otherCipher = try #require(AgeBase64.decode(Array(header.utf8), padded: false))
        otherCipher[1] = otherCipher[1] == 1 ? 2 : 1
        try expectRefusal(.authenticationFailed, "the other cipher", [Self.base64(otherCipher)], stanza.body)
        for index in 2..<6 {
            try expectRefusal(.noMatchingKey, "keyring byte \(index)", [try Self.flipping(header, byte: index)], stanza.body)
        }
        try expectRefusal(.unknownEpoch, "a later epoch", [try Self.flipping(header, byte: 9)], stanza.body)
        for index in 10..<40 {
            try expectRefusal(.authenticationFailed, "provenance byte \(index)", [try Self.flipping(header, byte: index)], stanza.body)
        }
        for index in 0..<32 {
            var body = stanza.body
            body[index] ^= 0x80
            try expectRefusal(.authenticationFailed, "body byte \(index)", [header], body)
        }
        // Epoch 2 is the stanza's (the keyring was rotated once); once retired, it is refused as such.
        var retired = keyring
        try retired.rotate(owner: try Self.node("eu"))
        try retired.retire(below: 3)
        #expect(throws: ArborError(.retiredEpoch, "")) { try Age.decrypt(file, identities: [.meshKeyring(retired)]) }
    }

    // MARK: - scrypt work factor

    @Test("an scrypt stanza asking for more work than the reader's limit is refused before scrypt runs")
    func scryptWorkFactor() throws {
        let passphrase = try AgeIdentity.scrypt(passphrase: SecretBytes(copying: Array("password".utf8)))
        let salt = Self.base64([UInt8](repeating: 3, count: 16))
        let body = [UInt8](repeating: 4, count: 32)
        // 2^23 and above (age's reference limit is 2^22); 2^30 would need a terabyte of memory.
        for workFactor in ["23", "30", "99", "100", "18446744073709551617"] {
            let forged = try Self.file(with: [try Self.stanza("scrypt", [salt, workFactor], body: body)])
            #expect(throws: ArborError(.limitExceeded, ""), "2^\(workFactor)") { try Age.decrypt(forged, identities: [passphrase]) }
        }
        // The CCTV vector of the same attack fails the same way.
        let vector = try AgeVector.load("scrypt_work_factor_23")
        let identities = try #require(try AgeVectorTests.identities(for: vector))
        #expect(throws: ArborError(.limitExceeded, "")) { try Age.decrypt(vector.file, identities: identities) }
        // A reader may lower its limit; the limit itself must be from 1 to 30.
        let lowered = try AgeIdentity.scrypt(passphrase: SecretBytes(copying: Array("password".utf8)), maximumWorkFactor: 12)
        let thirteen = try Self.file(with: [try Self.stanza("scrypt", [salt, "13"], body: body)])
        #expect(throws: ArborError(.limitExceeded, "")) { try Age.decrypt(thirteen, identities: [lowered]) }
        #expect(throws: ArborError(.invalidArgument, "")) {
            try AgeIdentity.scrypt(passphrase: SecretBytes(copying: Array("password".utf8)), maximumWorkFactor: 31)
        }
        // Malformed work factors stay header errors.
        for workFactor in ["0", "012", "1a", "+2", "-2", "0x10"] {
            let forged = try Self.file(with: [try Self.stanza("scrypt", [salt, workFactor], body: body)])
            #expect(throws: ArborError(.corruptFile, ""), "'\(workFactor)'") { try Age.decrypt(forged, identities: [passphrase]) }
        }
    }
}
