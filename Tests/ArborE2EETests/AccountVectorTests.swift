import ArborCore
import Crypto
import CryptoExtras
import Foundation
import Testing

@testable import ArborE2EE

/// `Vectors/e2ee-accounts.json` (docs/e2ee.md §9): one account made from fixed inputs, every
/// intermediate value of its derivation, and what the server stores. The browser client checks
/// the same file. Regenerate with `ARBOR_WRITE_VECTORS=1 swift test --filter AccountVectorTests`.
@Suite("E2EE account vectors")
struct AccountVectorTests {
    struct File: Codable, Equatable {
        var description: String
        var password: String
        var account: String
        var salt: String
        var rounds: UInt32
        var stretched: String
        var keyEncryptionKey: String
        var loginSeed: String
        var loginPublicKey: String
        var masterKey: String
        var masterNonce: String
        var masterByPassword: String
        var identitySeeds: String
        var identityNonce: String
        var identity: String
        var receivingPublicKey: String
        var signingPublicKey: String
        var pqSigningPublicKey: String
        var recoveryEntropy: String
        var recoveryWords: [String]
        var recoveryKey: String
        var recoveryNonce: String
        var masterByRecovery: String
        var loginChallenge: String
        var loginSignature: String
    }

    static let fileName = "e2ee-accounts.json"
    static func bytes(_ range: Range<Int>) -> [UInt8] { range.map { UInt8($0) } }

    static func make() throws -> File {
        let password = "correct horse battery staple"
        let account = try AccountID(bytes: bytes(0x00..<0x10))
        let parameters = try PasswordParameters(rounds: PasswordParameters.minimumRounds, salt: bytes(0x10..<0x20))
        let stretched = try KDF.Insecure.PBKDF2.deriveKey(
            from: Array(password.utf8), salt: parameters.salt, using: .sha256, outputByteCount: 32, rounds: Int(parameters.rounds))
        let keys = try PasswordKeys(password: SecretBytes(copying: Array(password.utf8)), parameters: parameters, account: account)
        let master = SymmetricKey(data: bytes(0x20..<0x40))
        let seeds = bytes(0x40..<0xa0)
        let identity = try IdentityKeys(seeds: SecretBytes(copying: seeds))
        let recovery = RecoveryCode(entropy: SecretBytes(copying: bytes(0xa0..<0xb4)))
        let nonces = try [0xc0, 0xd0, 0xe0].map { try AES.GCM.Nonce(data: bytes($0..<$0 + 12)) }
        let masterSecret = master.withUnsafeBytes { SecretBytes(copying: $0) }
        let byPassword = try WrappedKey.seal(
            masterSecret, under: keys.keyEncryptionKey, as: .masterByPassword, account: account, nonce: nonces[0])
        let wrappedIdentity = try WrappedKey.seal(
            SecretBytes(copying: seeds), under: master, as: .identity, account: account, nonce: nonces[1])
        let byRecovery = try WrappedKey.seal(
            masterSecret, under: recovery.key(for: account), as: .masterByRecovery, account: account, nonce: nonces[2])
        let challenge = (0..<32).map { UInt8((0xf0 + $0) & 0xff) }
        let hex = { (key: SymmetricKey) in key.withUnsafeBytes { Hex.encode(Array($0)) } }
        return File(
            description:
                "One Arbor E2EE account from fixed inputs (docs/e2ee.md): PBKDF2-HMAC-SHA256 of the password, the HKDF-SHA256 split into the key-encryption key and the Ed25519 login key, the master key and identity seeds wrapped with AES-256-GCM under the nonces given, the recovery code's words and key, and a login signature over the challenge. Byte strings are lower-case hex.",
            password: password, account: account.hex, salt: Hex.encode(parameters.salt), rounds: parameters.rounds,
            stretched: hex(stretched), keyEncryptionKey: hex(keys.keyEncryptionKey),
            loginSeed: Hex.encode(Array(keys.login.rawRepresentation)),
            loginPublicKey: Hex.encode(Array(keys.login.publicKey.rawRepresentation)), masterKey: hex(master),
            masterNonce: Hex.encode(Array(nonces[0])), masterByPassword: Hex.encode(byPassword.bytes), identitySeeds: Hex.encode(seeds),
            identityNonce: Hex.encode(Array(nonces[1])), identity: Hex.encode(wrappedIdentity.bytes),
            receivingPublicKey: Hex.encode(identity.publicKeys.receiving), signingPublicKey: Hex.encode(identity.publicKeys.signing),
            pqSigningPublicKey: Hex.encode(identity.publicKeys.pqSigning), recoveryEntropy: Hex.encode(bytes(0xa0..<0xb4)),
            recoveryWords: recovery.words, recoveryKey: hex(recovery.key(for: account)), recoveryNonce: Hex.encode(Array(nonces[2])),
            masterByRecovery: Hex.encode(byRecovery.bytes), loginChallenge: Hex.encode(challenge),
            loginSignature: Hex.encode(try LoginProof.sign(challenge: challenge, account: account, with: keys)))
    }

    @Test("the committed account recomputes from its inputs, and opens as a record")
    func committed() throws {
        let made = try Self.make()
        if ProcessInfo.processInfo.environment["ARBOR_WRITE_VECTORS"] == "1" {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Vectors/\(Self.fileName)")
            try encoder.encode(made).write(to: path)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let url = try #require(Bundle.module.url(forResource: "Vectors/\(Self.fileName)", withExtension: nil))
        let file = try decoder.decode(File.self, from: Data(contentsOf: url))
        // Ed25519 signing is deterministic and every nonce is given: the whole file recomputes.
        #expect(file == made)

        // What the server stores opens with the password, and with the recovery words.
        let account = try AccountID(hex: file.account)
        let record = AccountRecord(
            account: account, password: try PasswordParameters(rounds: file.rounds, salt: try Hex.decode(file.salt)),
            loginPublicKey: try Hex.decode(file.loginPublicKey),
            masterByPassword: try WrappedKey(bytes: try Hex.decode(file.masterByPassword)),
            masterByRecovery: try WrappedKey(bytes: try Hex.decode(file.masterByRecovery)),
            identity: try WrappedKey(bytes: try Hex.decode(file.identity)),
            identityPublicKeys: IdentityPublicKeys(
                receiving: try Hex.decode(file.receivingPublicKey), signing: try Hex.decode(file.signingPublicKey),
                pqSigning: try Hex.decode(file.pqSigningPublicKey)))
        let signedIn = try AccountKeys.signIn(password: SecretBytes(copying: Array(file.password.utf8)), record: record)
        #expect(signedIn.master.withUnsafeBytes { Hex.encode(Array($0)) } == file.masterKey)
        let recovered = try AccountKeys.recover(with: try RecoveryCode(parsing: file.recoveryWords.joined(separator: " ")), record: record)
        #expect(recovered.identity.publicKeys == record.identityPublicKeys)
        #expect(
            LoginProof.isValid(
                try Hex.decode(file.loginSignature), challenge: try Hex.decode(file.loginChallenge), account: account,
                loginPublicKey: record.loginPublicKey))
    }
}
