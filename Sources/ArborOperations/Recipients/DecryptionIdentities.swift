import ArborCore
import ArborSeal

/// Which identities open an age file, once its header is read: the caller's identities for a file
/// encrypted to recipients, the passphrase for a passphrase-encrypted one (age allows it alone, so
/// a passphrase file never mixes with identities unless the passphrase was given explicitly).
public struct DecryptionIdentities {
    /// Identities from key files, keyrings, node keys or the root.
    public let given: [AgeIdentity]
    /// Whether the caller named a passphrase (a file) rather than leaving it to be asked for.
    public let passphraseGiven: Bool
    /// Reads the passphrase, only when the file turns out to need one.
    public let passphrase: () throws -> SecretBytes

    public init(given: [AgeIdentity], passphraseGiven: Bool, passphrase: @escaping () throws -> SecretBytes) {
        self.given = given
        self.passphraseGiven = passphraseGiven
        self.passphrase = passphrase
    }

    /// The identities to try for `header`.
    public func identities(for header: AgeHeader) throws -> [AgeIdentity] {
        let isPassphraseFile = header.stanzas.contains { $0.type == "scrypt" }
        guard isPassphraseFile else {
            guard !given.isEmpty else {
                throw ArborError(
                    .invalidArgument,
                    "this file is encrypted to recipients: pass -i IDENTITY_FILE, --key NODE.key, --keyring or --root")
            }
            return given
        }
        guard given.isEmpty || passphraseGiven else {
            throw ArborError(.noMatchingKey, "this file is encrypted with a passphrase, not to an identity: run without -i")
        }
        return [try .scrypt(passphrase: try passphrase())]
    }
}
