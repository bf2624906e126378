import Crypto
import Foundation

/// How a secret file is kept at rest: in the clear (mode 0600 guards it), or encrypted under a
/// passphrase with the root key file's construction.
public enum SecretFileProtection: Sendable {
    case none
    case passphrase(SecretBytes, EncryptedRootKeyFile.Parameters = .default)
}

/// Version 2 of the secret files other than the root key (node key files, keyring files): the
/// version-1 body, in the clear or sealed under a passphrase, then a domain-separated SHA-256
/// checksum over every byte before it, so that accidental damage anywhere is refused as damage
/// rather than read as another secret. Byte layout in docs/keys.md §11.
///
/// The checksum is no authentication (anyone who can write the file can recompute it); what it
/// buys is that a flipped bit is never taken for a different key.
package struct SecretFileEnvelope: Sendable {
    /// The file's magic, shared by its versions.
    package let magic: [UInt8]
    /// Names the file in messages: "node key file".
    package let kind: String
    /// The label of its PEM-style armor: "ARBOR NODE KEY".
    package let armorLabel: String
    /// The scrypt salt's domain string (docs/keys.md §6).
    package let passphraseDomain: String
    /// What to do about a damaged file.
    package let remedy: String

    package static let version: UInt8 = 2
    package static let checksumDomain = "arbor/v1/file-checksum"
    static let checksumSize = 32
    static let kdfBlockSize = 1 + 1 + 4 + 4 + 32 + 12
    static let scryptID: UInt8 = 1

    enum ProtectionByte: UInt8 {
        case clear = 0
        case passphrase = 1
    }

    /// What a file's bytes hold, before any passphrase is asked for.
    package enum Layout {
        /// Version 1: no checksum, never encrypted; `body` is everything after the version byte.
        case legacy(body: SecretBytes)
        case plain(body: SecretBytes)
        case encrypted(Sealed)
    }

    /// An encrypted version-2 file, checked up to the AEAD.
    package struct Sealed {
        let parameters: EncryptedRootKeyFile.Parameters
        let salt: [UInt8]
        let nonce: ChaChaPoly.Nonce
        let authenticated: [UInt8]
        let ciphertext: [UInt8]
        let tag: [UInt8]
    }

    /// The raw file (before armor).
    package func seal(body: UnsafeRawBufferPointer, protection: SecretFileProtection) throws -> SecretBytes {
        var writer = ByteWriter(capacity: 6 + Self.kdfBlockSize + body.count + 16 + Self.checksumSize)
        defer { writer.wipe() }
        writer.append(raw: magic)
        writer.append(Self.version)
        switch protection {
        case .none:
            writer.append(ProtectionByte.clear.rawValue)
            writer.append(raw: body)
        case .passphrase(let passphrase, let parameters):
            try PassphraseKDF.checkNew(passphrase: passphrase, parameters: parameters, what: "an encrypted \(kind)")
            writer.append(ProtectionByte.passphrase.rawValue)
            writer.append(Self.scryptID)
            writer.append(parameters.logN)
            writer.append(parameters.r)
            writer.append(parameters.p)
            let salt = randomBytes(32)
            writer.append(raw: salt)
            let nonce = ChaChaPoly.Nonce()
            writer.append(raw: Array(nonce))
            let key = try PassphraseKDF.deriveKey(passphrase: passphrase, domain: passphraseDomain, salt: salt, parameters: parameters)
            let box = try ChaChaPoly.seal(body, using: key, nonce: nonce, authenticating: writer.bytes)
            writer.append(raw: box.ciphertext)
            writer.append(raw: box.tag)
        }
        writer.append(raw: Self.checksum(writer.bytes[...]))
        return writer.bytes.withUnsafeBytes { SecretBytes(copying: $0) }
    }

    /// `SHA-256("arbor/v1/file-checksum" 0x00 ‖ bytes)`.
    package static func checksum(_ bytes: ArraySlice<UInt8>) -> [UInt8] {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// The same over memory read in place: a file in the clear holds a secret, which must not be
    /// copied into an array nobody wipes.
    package static func checksum(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: Array(checksumDomain.utf8) + [0])
        hash.update(bufferPointer: bytes)
        return Array(hash.finalize())
    }

    /// The raw file inside its armor; armor that does not decode is a damaged file.
    package func unarmored(_ armored: SecretBytes) throws -> SecretBytes {
        do {
            return try Armor.decode(secret: armored, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(.corruptFile, "not a readable \(kind) (\(error.message)); \(remedy)")
        }
    }

    /// The scrypt parameters of an encrypted armored file (kept when it is rewritten); nil in the
    /// clear. Armor, version and checksum are checked first: a damaged file fails before any prompt.
    package func parameters(ofArmored armored: SecretBytes) throws -> EncryptedRootKeyFile.Parameters? {
        try layout(of: try unarmored(armored)).parameters
    }

    /// Checks magic, version, checksum and the passphrase header, in an order that names the problem.
    package func layout(of file: SecretBytes) throws -> Layout {
        try file.withUnsafeBytes { raw in
            guard raw.count >= 5, Array(raw[0..<4]) == magic else {
                throw ArborError(.corruptFile, "this is not an Arbor \(kind), or its start is damaged; \(remedy)")
            }
            if raw[4] == 1 { return .legacy(body: SecretBytes(copying: raw[5...])) }
            // Every later version ends with this checksum, and it covers the version byte: a
            // damaged version is reported as damage, not as a version to upgrade for.
            guard raw.count >= 6 + Self.checksumSize else {
                throw ArborError(.corruptFile, "the \(kind) is truncated (\(raw.count) bytes); \(remedy)")
            }
            let end = raw.count - Self.checksumSize
            let expected = Self.checksum(UnsafeRawBufferPointer(rebasing: raw[0..<end]))
            guard constantTimeEqual(expected, Array(raw[end...])) else {
                throw ArborError(.corruptFile, "the \(kind) is damaged (checksum mismatch); \(remedy)")
            }
            guard raw[4] == Self.version else {
                throw ArborError(.unsupportedVersion, "\(kind) version \(raw[4]) is not supported; upgrade arbor")
            }
            switch ProtectionByte(rawValue: raw[5]) {
            case .clear?:
                return .plain(body: SecretBytes(copying: raw[6..<end]))
            case .passphrase?:
                return .encrypted(try sealed(Array(raw[0..<end])))
            case nil:
                throw ArborError(
                    .unsupportedVersion, "the \(kind) is protected in a way this arbor does not know (\(raw[5])); upgrade arbor")
            }
        }
    }

    private func sealed(_ bytes: [UInt8]) throws -> Sealed {
        var reader = ByteReader(bytes[6...], context: "the \(kind)")
        do {
            guard try reader.readUInt8() == Self.scryptID else {
                throw ArborError(.unsupportedVersion, "the \(kind) is encrypted with a KDF this arbor does not know; upgrade arbor")
            }
            let parameters = EncryptedRootKeyFile.Parameters.unsafe(logN: try reader.readUInt8())
            let r = try reader.readUInt32()
            let p = try reader.readUInt32()
            // The checksum is no authentication: the limit is checked before scrypt runs.
            guard parameters.logN <= EncryptedRootKeyFile.maximumLogN, r <= 8, p <= 1 else {
                throw ArborError(
                    .limitExceeded,
                    "the \(kind) asks for more scrypt work than arbor allows (log2 N = \(parameters.logN), r = \(r), p = \(p)): it was altered; \(remedy)"
                )
            }
            guard parameters.logN >= 1, r == 8, p == 1 else {
                throw ArborError(.corruptFile, "the \(kind) asks for scrypt parameters arbor refuses; \(remedy)")
            }
            let salt = try reader.read(count: 32)
            let nonce = try ChaChaPoly.Nonce(data: try reader.read(count: 12))
            let authenticated = Array(bytes[..<(6 + Self.kdfBlockSize)])
            guard reader.remaining >= 16 else { throw ArborError.malformed("the \(kind) is truncated") }
            let ciphertext = try reader.read(count: reader.remaining - 16)
            let tag = try reader.read(count: 16)
            return Sealed(parameters: parameters, salt: salt, nonce: nonce, authenticated: authenticated, ciphertext: ciphertext, tag: tag)
        } catch let error as ArborError where error.code == .malformedInput {
            throw ArborError(.corruptFile, "the \(kind) is damaged (\(error.message)); \(remedy)")
        }
    }

    /// Opens an encrypted file's body: `wrong passphrase` when the tag fails (the checksum has
    /// already ruled out damage).
    package func open(_ sealed: Sealed, passphrase: SecretBytes) throws -> SecretBytes {
        let key = try PassphraseKDF.deriveKey(
            passphrase: passphrase, domain: passphraseDomain, salt: sealed.salt, parameters: sealed.parameters)
        do {
            let box = try ChaChaPoly.SealedBox(nonce: sealed.nonce, ciphertext: sealed.ciphertext, tag: sealed.tag)
            var plaintext = try ChaChaPoly.open(box, using: key, authenticating: sealed.authenticated)
            defer { plaintext.resetBytes(in: 0..<plaintext.count) }
            return SecretBytes(copying: plaintext)
        } catch {
            throw ArborError(.wrongPassphrase, "the passphrase does not open this \(kind); check it and try again")
        }
    }

    /// The body of any version, asking for the passphrase only when the file is encrypted.
    package func body(of file: SecretBytes, passphrase: SecretBytes?) throws -> SecretBytes {
        switch try layout(of: file) {
        case .legacy(let body), .plain(let body): return body
        case .encrypted(let sealed):
            guard let passphrase else {
                throw ArborError(.invalidArgument, "the \(kind) is encrypted: give its passphrase")
            }
            return try open(sealed, passphrase: passphrase)
        }
    }
}

extension SecretFileEnvelope.Layout {
    /// The scrypt parameters of an encrypted file; nil for one in the clear.
    package var parameters: EncryptedRootKeyFile.Parameters? {
        if case .encrypted(let sealed) = self { return sealed.parameters }
        return nil
    }
}
