import Crypto
import Foundation
import Testing

@testable import ArborCore

@Suite("Encrypted root key file")
struct RootKeyFileTests {
    let passphrase = SecretBytes(copying: Array("correct horse battery staple".utf8))
    let fast = EncryptedRootKeyFile.Parameters.unsafe(logN: 10)

    @Test("seal and open give back the same root")
    func roundTrip() throws {
        let root = RootKey.generate()
        let text = try EncryptedRootKeyFile.seal(root, passphrase: passphrase, parameters: fast)
        let opened = try EncryptedRootKeyFile.open(text, passphrase: passphrase)
        #expect(opened.secretBytes == root.secretBytes)
        #expect(try EncryptedRootKeyFile.parameters(of: text) == fast)
        #expect(!text.contains(Hex.encode(root.secret.bytesForEncoding)))
    }

    @Test("a wrong passphrase is reported as such")
    func wrongPassphrase() throws {
        let text = try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: fast)
        #expect(throws: ArborError(.wrongPassphrase, "")) {
            try EncryptedRootKeyFile.open(text, passphrase: SecretBytes(copying: Array("Correct horse battery staple".utf8)))
        }
    }

    @Test("every flipped bit and every truncation is a corrupt file, never a wrong passphrase or a wrong root")
    func corruption() throws {
        let text = try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: fast)
        let bytes = try Armor.decode(text, label: EncryptedRootKeyFile.armorLabel)
        for index in stride(from: 0, to: bytes.count, by: 7) {
            var damaged = bytes
            damaged[index] ^= 0x10
            #expect(throws: ArborError(.corruptFile, "")) {
                try EncryptedRootKeyFile.open(Armor.encode(damaged, label: EncryptedRootKeyFile.armorLabel), passphrase: passphrase)
            }
        }
        for length in [0, 1, 60, bytes.count - 1] {
            #expect(throws: ArborError(.corruptFile, "")) {
                try EncryptedRootKeyFile.open(
                    Armor.encode(Array(bytes.prefix(length)), label: EncryptedRootKeyFile.armorLabel), passphrase: passphrase)
            }
        }
        #expect(throws: ArborError(.corruptFile, "")) { try EncryptedRootKeyFile.open(String(text.prefix(100)), passphrase: passphrase) }
        #expect(throws: ArborError(.corruptFile, "")) { try EncryptedRootKeyFile.open("hello", passphrase: passphrase) }
    }

    @Test("the safe default refuses nothing, and unsafe parameters are only what the caller asked for")
    func parameters() throws {
        #expect(EncryptedRootKeyFile.Parameters.default.logN == 18)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: .unsafe(logN: 30))
        }
        // At least 8 characters, counted as characters: 7 is refused, 8 accepted, 8 two-byte ones too.
        for (text, accepted) in [("", false), ("1234567", false), ("12345678", true), ("ééééééé", false), ("éééééééé", true)] {
            let attempt = {
                try EncryptedRootKeyFile.seal(.generate(), passphrase: SecretBytes(copying: Array(text.utf8)), parameters: fast)
            }
            if accepted {
                _ = try attempt()
            } else {
                #expect(throws: ArborError(.invalidArgument, ""), "'\(text)'") { try attempt() }
            }
        }
        // A weak work factor needs the explicit unsafe constructor.
        let weak = EncryptedRootKeyFile.Parameters(logN: 10, r: 8, p: 1, allowsWeakWorkFactor: false)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: weak)
        }
    }

    @Test("a file of another version says so, before any length or checksum complaint")
    func otherVersion() throws {
        var bytes = try Armor.decode(
            try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: fast), label: EncryptedRootKeyFile.armorLabel)
        bytes[4] = 2
        bytes.append(0)
        #expect(throws: ArborError(.unsupportedVersion, "")) {
            try EncryptedRootKeyFile.open(Armor.encode(bytes, label: EncryptedRootKeyFile.armorLabel), passphrase: passphrase)
        }
    }

    @Test(
        "a work factor raised behind a recomputed checksum is refused by the limit, before scrypt runs",
        arguments: [(6, UInt8(23)), (6, UInt8(255)), (10, UInt8(9)), (14, UInt8(2))])
    func raisedWorkFactor(offset: Int, value: UInt8) throws {
        var bytes = try Armor.decode(
            try EncryptedRootKeyFile.seal(.generate(), passphrase: passphrase, parameters: fast), label: EncryptedRootKeyFile.armorLabel)
        bytes[offset] = value  // log2 N at 6, the low byte of r at 10, of p at 14
        bytes.replaceSubrange((bytes.count - 32)..., with: Array(SHA256.hash(data: bytes[..<(bytes.count - 32)])))
        let forged = Armor.encode(bytes, label: EncryptedRootKeyFile.armorLabel)
        let started = ContinuousClock.now
        #expect(throws: ArborError(.limitExceeded, "")) { try EncryptedRootKeyFile.open(forged, passphrase: passphrase) }
        #expect(throws: ArborError(.limitExceeded, "")) { try EncryptedRootKeyFile.parameters(of: forged) }
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
