import Crypto
import CryptoExtras
import Foundation

/// The root key encrypted under a passphrase: scrypt derives a key that seals the root with
/// ChaCha20-Poly1305; the parameters travel in the authenticated header. A trailing SHA-256 over
/// the whole file tells accidental corruption apart from a wrong passphrase. Byte layout in
/// docs/keys.md, "Encrypted root key file".
public enum EncryptedRootKeyFile {
    public static let armorLabel = "ARBOR ROOT KEY"
    static let magic = Array("ARBR".utf8)
    static let version: UInt8 = 1
    static let scryptID: UInt8 = 1
    static let saltSize = 32
    static let headerSize = 4 + 1 + 1 + 1 + 4 + 4 + saltSize + 12
    static let encodedSize = headerSize + 32 + 16 + 32

    /// age's default work factor: about a second on a server core.
    public static let defaultLogN: UInt8 = 18
    /// Below this, `seal` needs `Parameters.unsafe(logN:)`; tests use it to run fast.
    public static let minimumSafeLogN: UInt8 = 15
    /// Above this, a file is refused rather than letting it demand unbounded memory.
    public static let maximumLogN: UInt8 = 22

    public struct Parameters: Sendable, Equatable {
        public let logN: UInt8
        public let r: UInt32
        public let p: UInt32
        /// Set only by `unsafe(logN:)`: lets `seal` go below `minimumSafeLogN`.
        let allowsWeakWorkFactor: Bool

        public static let `default` = Parameters(logN: EncryptedRootKeyFile.defaultLogN, r: 8, p: 1, allowsWeakWorkFactor: false)

        /// A weaker work factor, for tests only.
        public static func unsafe(logN: UInt8) -> Parameters { Parameters(logN: logN, r: 8, p: 1, allowsWeakWorkFactor: true) }

        public static func == (lhs: Parameters, rhs: Parameters) -> Bool {
            (lhs.logN, lhs.r, lhs.p) == (rhs.logN, rhs.r, rhs.p)
        }

        var isAcceptable: Bool { logN >= 1 && logN <= EncryptedRootKeyFile.maximumLogN && r == 8 && p == 1 }
    }

    /// The shortest passphrase a new root key file accepts, in characters.
    public static let minimumPassphraseLength = 8

    public static func seal(_ root: RootKey, passphrase: SecretBytes, parameters: Parameters = .default) throws -> String {
        try PassphraseKDF.checkNew(passphrase: passphrase, parameters: parameters, what: "a root key")
        var header = ByteWriter()
        header.append(raw: magic)
        header.append(version)
        header.append(scryptID)
        header.append(parameters.logN)
        header.append(parameters.r)
        header.append(parameters.p)
        let salt = randomBytes(saltSize)
        header.append(raw: salt)
        let nonce = ChaChaPoly.Nonce()
        header.append(raw: Array(nonce))
        let key = try deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        let box = try root.secret.withUnsafeBytes { try ChaChaPoly.seal($0, using: key, nonce: nonce, authenticating: header.bytes) }
        var file = header
        file.append(raw: box.ciphertext)
        file.append(raw: box.tag)
        file.append(raw: SHA256.hash(data: file.bytes))
        return Armor.encode(file.bytes, label: armorLabel)
    }

    public static func open(_ text: String, passphrase: SecretBytes) throws -> RootKey {
        let file = try ParsedFile(text)
        let key = try deriveKey(passphrase: passphrase, salt: file.salt, parameters: file.parameters)
        var plaintext: Data
        do {
            plaintext = try ChaChaPoly.open(file.sealedBox, using: key, authenticating: file.header)
        } catch {
            throw ArborError(.wrongPassphrase, "the passphrase does not open this root key file; check it and try again")
        }
        defer { plaintext.resetBytes(in: 0..<plaintext.count) }
        return RootKey(secret: SymmetricKey(data: plaintext))
    }

    /// The scrypt parameters a file declares, without opening it.
    public static func parameters(of text: String) throws -> Parameters { try ParsedFile(text).parameters }

    /// A file whose structure and checksum are checked, in an order that names the problem:
    /// not a root key file, a version this build does not read, truncated, damaged.
    private struct ParsedFile {
        let header: [UInt8]
        let parameters: Parameters
        let salt: [UInt8]
        let sealedBox: ChaChaPoly.SealedBox

        init(_ text: String) throws {
            let restore = "restore it from a backup or recover it from shares"
            let bytes: [UInt8]
            do {
                bytes = try Armor.decode(text, label: armorLabel)
            } catch let error as ArborError {
                throw ArborError(.corruptFile, "not a readable root key file (\(error.message)); \(restore)")
            }
            guard bytes.count >= 6, Array(bytes[0..<4]) == magic else {
                throw ArborError(.corruptFile, "this is not an Arbor root key file, or its start is damaged; \(restore)")
            }
            guard bytes[4] == version, bytes[5] == scryptID else {
                throw ArborError(
                    .unsupportedVersion,
                    "root key file version \(bytes[4]) with KDF \(bytes[5]) is not supported by this arbor; upgrade arbor")
            }
            guard bytes.count == encodedSize else {
                throw ArborError(
                    .corruptFile,
                    "the root key file has \(bytes.count) bytes instead of \(encodedSize): it is truncated or damaged; \(restore)")
            }
            guard Array(SHA256.hash(data: bytes[..<(encodedSize - 32)])) == Array(bytes[(encodedSize - 32)...]) else {
                throw ArborError(.corruptFile, "the root key file's checksum does not match: it is damaged; \(restore)")
            }
            var reader = ByteReader(bytes[6..<headerSize], context: "the root key file header")
            parameters = Parameters(
                logN: try reader.readUInt8(), r: try reader.readUInt32(), p: try reader.readUInt32(), allowsWeakWorkFactor: true)
            // The checksum is no authentication: anyone can raise the work factor and recompute it,
            // so the limit is checked here, before scrypt runs.
            guard parameters.logN <= maximumLogN, parameters.r <= 8, parameters.p <= 1 else {
                throw ArborError(
                    .limitExceeded,
                    "the root key file asks for more scrypt work than arbor allows (log2 N = \(parameters.logN), r = \(parameters.r), "
                        + "p = \(parameters.p); at most log2 N = \(maximumLogN), r = 8, p = 1): it was altered; \(restore)")
            }
            guard parameters.isAcceptable else {
                throw ArborError(
                    .corruptFile,
                    "the root key file asks for scrypt parameters arbor refuses (log2 N = \(parameters.logN), r = \(parameters.r), p = \(parameters.p))"
                )
            }
            salt = try reader.read(count: saltSize)
            let nonce = try ChaChaPoly.Nonce(data: try reader.read(count: 12))
            header = Array(bytes[..<headerSize])
            sealedBox = try ChaChaPoly.SealedBox(
                nonce: nonce, ciphertext: bytes[headerSize..<headerSize + 32], tag: bytes[headerSize + 32..<headerSize + 48])
        }
    }

    private static func deriveKey(passphrase: SecretBytes, salt: [UInt8], parameters: Parameters) throws -> SymmetricKey {
        try PassphraseKDF.deriveKey(passphrase: passphrase, domain: "arbor/v1/root-key-file", salt: salt, parameters: parameters)
    }
}
