import ArborCore
import ArborOperations
import ArborSeal
import Testing

/// Which identities open an age file: the given ones for recipients, the passphrase alone for a
/// passphrase-encrypted file, and a passphrase asked for only when the file needs one.
@Suite struct DecryptionIdentitiesTests {
    static func header(to recipients: [AgeRecipient]) throws -> AgeHeader {
        var encryptor = try AgeEncryptor(recipients: recipients)
        let file = try encryptor.update(Array("hello".utf8)) + encryptor.finish()
        return try AgeInspection(file: file).header
    }

    let identity = AgeIdentity.generateX25519()
    let passphrase = SecretBytes(copying: Array("correct horse".utf8))

    @Test func aFileToRecipientsTakesTheGivenIdentities() throws {
        let header = try Self.header(to: [try #require(identity.recipient)])
        var asked = false
        let choice = DecryptionIdentities(given: [identity], passphraseGiven: false) {
            asked = true
            return passphrase
        }
        #expect(try choice.identities(for: header).count == 1)
        #expect(!asked)
        #expect(throws: ArborError(.invalidArgument, "")) {
            try DecryptionIdentities(given: [], passphraseGiven: false) { passphrase }.identities(for: header)
        }
    }

    @Test func aPassphraseFileTakesThePassphraseAlone() throws {
        let header = try Self.header(to: [try .scrypt(passphrase: passphrase, unsafeWorkFactor: 1)])
        #expect(try DecryptionIdentities(given: [], passphraseGiven: false) { passphrase }.identities(for: header).count == 1)
        // Identities given for a passphrase file: a mistake, unless the passphrase was named too.
        #expect(throws: ArborError(.noMatchingKey, "")) {
            try DecryptionIdentities(given: [identity], passphraseGiven: false) { passphrase }.identities(for: header)
        }
        #expect(try DecryptionIdentities(given: [identity], passphraseGiven: true) { passphrase }.identities(for: header).count == 1)
    }
}
