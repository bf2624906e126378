import ArborCore
import Foundation

/// age v1 (C2SP `age.md`): Arbor's file and stream format. `AgeEncryptor` and `AgeDecryptor`
/// stream in constant memory; these helpers handle whole buffers.
public enum Age {
    /// Plaintext bytes per STREAM chunk.
    public static let chunkSize = 64 << 10

    /// Encrypts a whole buffer.
    public static func encrypt(_ plaintext: [UInt8], to recipients: [AgeRecipient], armored: Bool = false) throws -> [UInt8] {
        var encryptor = try AgeEncryptor(recipients: recipients, armored: armored)
        return try encryptor.update(plaintext) + encryptor.finish()
    }

    /// Decrypts a whole buffer (armored or binary); returns nothing unless the whole file verified.
    public static func decrypt(_ file: [UInt8], identities: [AgeIdentity]) throws -> [UInt8] {
        var decryptor = AgeDecryptor(identities: identities)
        var plaintext: [UInt8] = []
        try decryptor.update(file) { plaintext += $0 }
        try decryptor.finish { plaintext += $0 }
        return plaintext
    }
}
