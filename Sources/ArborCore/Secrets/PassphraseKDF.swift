import Crypto
import CryptoExtras

/// The root key file's passphrase construction (docs/keys.md §10), shared by every file Arbor
/// encrypts under a passphrase: scrypt over a salt prefixed with a domain string that names the
/// kind of file, giving the 32-byte ChaCha20-Poly1305 key.
package enum PassphraseKDF {
    /// The salt given to scrypt: `domain 0x00 ‖ salt`.
    package static func deriveKey(
        passphrase: SecretBytes, domain: String, salt: [UInt8], parameters: EncryptedRootKeyFile.Parameters
    ) throws -> SymmetricKey {
        do {
            return try passphrase.withUnsafeBytes {
                try KDF.Scrypt.deriveKey(
                    from: $0,
                    salt: Array(domain.utf8) + [0] + salt,
                    outputByteCount: 32,
                    rounds: 1 << Int(parameters.logN),
                    blockSize: Int(parameters.r),
                    parallelism: Int(parameters.p)
                )
            }
        } catch {
            throw ArborError(.invalidArgument, "scrypt refused its parameters (log2 N = \(parameters.logN))")
        }
    }

    /// The rule every new passphrase-encrypted file follows: safe scrypt parameters (unless asked
    /// for by `Parameters.unsafe(logN:)`) and a passphrase of at least 8 characters.
    package static func checkNew(passphrase: SecretBytes, parameters: EncryptedRootKeyFile.Parameters, what: String) throws {
        guard parameters.isAcceptable,
            parameters.logN >= EncryptedRootKeyFile.minimumSafeLogN || parameters.allowsWeakWorkFactor
        else {
            throw ArborError(
                .invalidArgument,
                "scrypt parameters must be r=8, p=1 and log2(N) from \(EncryptedRootKeyFile.minimumSafeLogN) to \(EncryptedRootKeyFile.maximumLogN)"
            )
        }
        // Characters, not bytes: count the UTF-8 bytes that start a character (no String is made).
        let characters = passphrase.withUnsafeBytes { $0.reduce(0) { $0 + ($1 & 0xC0 == 0x80 ? 0 : 1) } }
        guard characters >= EncryptedRootKeyFile.minimumPassphraseLength else {
            throw ArborError(
                .invalidArgument,
                "the passphrase has \(characters) characters; \(what) needs at least \(EncryptedRootKeyFile.minimumPassphraseLength) (a few random words are best)"
            )
        }
    }
}
