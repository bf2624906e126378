import ArborCore
import Crypto
import CryptoExtras

/// The native scrypt (passphrase) recipient type: scrypt(N = 2^logN, r = 8, p = 1,
/// salt = "age-encryption.org/v1/scrypt" ‖ 16 random bytes) wraps the file key. A header with an
/// scrypt stanza must hold nothing else.
enum ScryptStanza {
    static let type = "scrypt"
    static let label = Array("age-encryption.org/v1/scrypt".utf8)
    static let saltSize = 16
    /// age's default for new files: about a second on a current machine.
    static let defaultWorkFactor = 18
    /// The smallest work factor Arbor writes without `unsafe`.
    static let minimumSafeWorkFactor = 16
    /// The largest work factor Arbor writes or reads by default (age's limit: about 15 s).
    static let maximumWorkFactor = 22

    static func wrap(_ fileKey: SymmetricKey, passphrase: SecretBytes, workFactor: Int) throws -> AgeStanza {
        let salt = randomBytes(saltSize)
        let wrapKey = try deriveKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        return AgeStanza(
            validatedType: type, arguments: [AgeBase64.encodeString(salt), String(workFactor)],
            body: try AgeKeyWrap.seal(fileKey, with: wrapKey))
    }

    enum Unwrapped {
        case notScrypt
        case wrongPassphrase
        case fileKey(SymmetricKey)
    }

    static func unwrap(_ stanza: AgeStanza, passphrase: SecretBytes, maximumWorkFactor: Int) throws -> Unwrapped {
        guard stanza.type == type else { return .notScrypt }
        guard stanza.arguments.count == 2 else { throw ArborError.ageHeader("an scrypt stanza must have exactly two arguments") }
        guard let salt = AgeBase64.decode(Array(stanza.arguments[0].utf8), padded: false), salt.count == saltSize else {
            throw ArborError.ageHeader("an scrypt stanza's salt is not canonical base64 of 16 bytes")
        }
        let digits = Array(stanza.arguments[1].utf8)
        guard let first = digits.first, first != UInt8(ascii: "0"),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else {
            throw ArborError.ageHeader("an scrypt stanza's work factor is not a decimal number without leading zeroes")
        }
        guard stanza.body.count == AgeKeyWrap.bodySize else { throw ArborError.ageHeader("an scrypt stanza's body is not 32 bytes") }
        // The work factor is the attacker's choice, and scrypt runs before anything is authenticated.
        guard digits.count <= 2, let workFactor = Int(stanza.arguments[1]), workFactor <= maximumWorkFactor else {
            throw ArborError(
                .limitExceeded,
                "the file asks for scrypt work factor 2^\(digits.count <= 2 ? stanza.arguments[1] : "(more than 99)"), above the limit "
                    + "2^\(maximumWorkFactor); "
                    + "decrypting would take too long")
        }
        let wrapKey = try deriveKey(passphrase: passphrase, salt: salt, workFactor: workFactor)
        guard let fileKey = AgeKeyWrap.open(stanza.body, with: wrapKey) else { return .wrongPassphrase }
        return .fileKey(fileKey)
    }

    private static func deriveKey(passphrase: SecretBytes, salt: [UInt8], workFactor: Int) throws -> SymmetricKey {
        do {
            return try passphrase.withUnsafeBytes {
                try KDF.Scrypt.deriveKey(
                    from: $0, salt: label + salt, outputByteCount: 32, rounds: 1 << workFactor, blockSize: 8, parallelism: 1)
            }
        } catch {
            throw ArborError(.invalidArgument, "scrypt refused its parameters (log2 N = \(workFactor))")
        }
    }
}
