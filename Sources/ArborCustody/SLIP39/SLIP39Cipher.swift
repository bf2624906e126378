import ArborCore
import Crypto
import CryptoExtras

/// The SLIP-39 master secret encryption: a four-round Feistel network whose
/// round function is PBKDF2-HMAC-SHA256 keyed by the passphrase.
enum SLIP39Cipher {
    /// Iterations per round for exponent e: four rounds of 2500 × 2^e make 10000 × 2^e.
    static func roundIterations(exponent: Int) -> Int {
        2500 << exponent
    }

    static func encrypt(
        _ masterSecret: [UInt8], passphrase: [UInt8], iterationExponent: Int, identifier: UInt16, extendable: Bool
    ) throws -> [UInt8] {
        try feistel(
            masterSecret, passphrase: passphrase, rounds: [0, 1, 2, 3], iterationExponent: iterationExponent,
            identifier: identifier, extendable: extendable)
    }

    static func decrypt(
        _ encryptedSecret: [UInt8], passphrase: [UInt8], iterationExponent: Int, identifier: UInt16, extendable: Bool
    ) throws -> [UInt8] {
        try feistel(
            encryptedSecret, passphrase: passphrase, rounds: [3, 2, 1, 0], iterationExponent: iterationExponent,
            identifier: identifier, extendable: extendable)
    }

    /// Encryption and decryption differ only in the order of the round numbers.
    private static func feistel(
        _ input: [UInt8], passphrase: [UInt8], rounds: [UInt8], iterationExponent: Int, identifier: UInt16, extendable: Bool
    ) throws -> [UInt8] {
        let half = input.count / 2
        var left = Array(input[..<half])
        var right = Array(input[half...])
        defer {
            left.wipe()
            right.wipe()
        }
        // Non-extendable backups bind the identifier into the salt, so only one set of shares can exist.
        let saltPrefix = extendable ? [] : Array("shamir".utf8) + [UInt8(identifier >> 8), UInt8(truncatingIfNeeded: identifier)]
        for round in rounds {
            var roundOutput = try roundFunction(
                round: round, passphrase: passphrase, salt: saltPrefix + right,
                iterations: roundIterations(exponent: iterationExponent), length: half
            )
            defer { roundOutput.wipe() }
            var mixed = zip(left, roundOutput).map { $0 ^ $1 }
            swap(&left, &right)
            swap(&right, &mixed)
            mixed.wipe()
        }
        return right + left
    }

    private static func roundFunction(round: UInt8, passphrase: [UInt8], salt: [UInt8], iterations: Int, length: Int) throws -> [UInt8] {
        let key = try KDF.Insecure.PBKDF2.deriveKey(
            from: [round] + passphrase,
            salt: salt,
            using: .sha256,
            outputByteCount: length,
            unsafeUncheckedRounds: iterations
        )
        return key.withUnsafeBytes { Array($0) }
    }
}
