import Crypto
import CryptoExtras

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
    /// Below this, `seal` needs `unsafeLogN`; tests use it to run fast.
    public static let minimumSafeLogN: UInt8 = 15
    /// Above this, a file is refused rather than letting it demand unbounded memory.
    public static let maximumLogN: UInt8 = 22

    public struct Parameters: Sendable, Equatable {
        public var logN: UInt8
        public var r: UInt32
        public var p: UInt32

        public static let `default` = Parameters(logN: EncryptedRootKeyFile.defaultLogN, r: 8, p: 1)

        /// A weaker work factor, for tests only.
        public static func unsafe(logN: UInt8) -> Parameters { Parameters(logN: logN, r: 8, p: 1) }
    }

    public static func seal(_ root: RootKey, passphrase: SecretBytes, parameters: Parameters = .default) throws -> String {
        guard parameters.logN >= 1, parameters.logN <= maximumLogN, parameters.r == 8, parameters.p == 1 else {
            throw ArborError(.invalidArgument, "scrypt parameters must be r=8, p=1 and log2(N) at most \(maximumLogN)")
        }
        guard !passphrase.isEmpty else {
            throw ArborError(.invalidArgument, "the passphrase is empty; choose one of at least 8 characters")
        }
        var header = ByteWriter()
        header.append(raw: magic)
        header.append(version)
        header.append(scryptID)
        header.append(parameters.logN)
        header.append(parameters.r)
        header.append(parameters.p)
        header.append(raw: randomBytes(saltSize))
        let nonce = ChaChaPoly.Nonce()
        header.append(raw: Array(nonce))
        let key = try deriveKey(passphrase: passphrase, salt: Array(header.bytes[15..<15 + saltSize]), parameters: parameters)
        let box = try root.secret.withUnsafeBytes { try ChaChaPoly.seal($0, using: key, nonce: nonce, authenticating: header.bytes) }
        var file = header
        file.append(raw: box.ciphertext)
        file.append(raw: box.tag)
        file.append(raw: SHA256.hash(data: file.bytes))
        return Armor.encode(file.bytes, label: armorLabel)
    }

    public static func open(_ text: String, passphrase: SecretBytes) throws -> RootKey {
        let bytes: [UInt8]
        do {
            bytes = try Armor.decode(text, label: armorLabel)
        } catch let error as ArborError {
            throw ArborError(.corruptFile, "not a readable root key file (\(error.message)); restore it from a backup or recover it from shares")
        }
        guard bytes.count == encodedSize else {
            throw ArborError(.corruptFile, "the root key file has \(bytes.count) bytes instead of \(encodedSize): it is truncated or damaged; restore it from a backup or recover it from shares")
        }
        let checksum = Array(SHA256.hash(data: bytes[..<(encodedSize - 32)]))
        guard checksum == Array(bytes[(encodedSize - 32)...]) else {
            throw ArborError(.corruptFile, "the root key file's checksum does not match: it is damaged; restore it from a backup or recover it from shares")
        }
        var reader = ByteReader(bytes[..<headerSize], context: "the root key file header")
        guard try reader.read(count: 4) == magic else {
            throw ArborError(.corruptFile, "this is not an Arbor root key file")
        }
        let fileVersion = try reader.readUInt8()
        let kdf = try reader.readUInt8()
        guard fileVersion == version, kdf == scryptID else {
            throw ArborError(.unsupportedVersion, "root key file version \(fileVersion) with KDF \(kdf) is not supported by this arbor; upgrade arbor")
        }
        let parameters = Parameters(logN: try reader.readUInt8(), r: try reader.readUInt32(), p: try reader.readUInt32())
        guard parameters.logN >= 1, parameters.logN <= maximumLogN, parameters.r == 8, parameters.p == 1 else {
            throw ArborError(.corruptFile, "the root key file asks for scrypt parameters arbor refuses (log2 N = \(parameters.logN), r = \(parameters.r), p = \(parameters.p))")
        }
        let salt = try reader.read(count: saltSize)
        let nonce = try ChaChaPoly.Nonce(data: try reader.read(count: 12))
        let key = try deriveKey(passphrase: passphrase, salt: salt, parameters: parameters)
        let sealed = try ChaChaPoly.SealedBox(
            nonce: nonce,
            ciphertext: bytes[headerSize..<headerSize + 32],
            tag: bytes[headerSize + 32..<headerSize + 48]
        )
        var plaintext: [UInt8]
        do {
            plaintext = Array(try ChaChaPoly.open(sealed, using: key, authenticating: bytes[..<headerSize]))
        } catch {
            throw ArborError(.wrongPassphrase, "the passphrase does not open this root key file; check it and try again")
        }
        defer { plaintext.wipe() }
        return RootKey(secret: SymmetricKey(data: plaintext))
    }

    /// The scrypt parameters a file declares, without opening it.
    public static func parameters(of text: String) throws -> Parameters {
        let bytes = try Armor.decode(text, label: armorLabel)
        guard bytes.count == encodedSize else { throw ArborError(.corruptFile, "the root key file is truncated or damaged") }
        var reader = ByteReader(bytes[6..<15], context: "the root key file header")
        return Parameters(logN: try reader.readUInt8(), r: try reader.readUInt32(), p: try reader.readUInt32())
    }

    private static func deriveKey(passphrase: SecretBytes, salt: [UInt8], parameters: Parameters) throws -> SymmetricKey {
        do {
            return try passphrase.withUnsafeBytes {
                try KDF.Scrypt.deriveKey(
                    from: $0,
                    salt: Array("arbor/v1/root-key-file".utf8) + [0] + salt,
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
}

func randomBytes(_ count: Int) -> [UInt8] {
    SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Array($0) }
}
