import ArborCore
import Crypto
import Foundation

/// Something that opens files: an X25519 secret key (`AGE-SECRET-KEY-1…`), a post-quantum X-Wing
/// secret key (`AGE-SECRET-KEY-PQ-1…`, the 32-byte seed), or a passphrase (scrypt). Its
/// description never shows the secret.
public struct AgeIdentity: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case x25519(Curve25519.KeyAgreement.PrivateKey)
        case mlkem768x25519(XWingMLKEM768X25519.PrivateKey)
        case scrypt(SecretBytes, maximumWorkFactor: Int)
        case meshKeyring(MeshKeyring)
        case treeNode(NodeSecret, epochsAhead: UInt32)
    }

    static let x25519Prefix = "age-secret-key-"
    static let postQuantumPrefix = "age-secret-key-pq-"

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// Parses `AGE-SECRET-KEY-1…` or `AGE-SECRET-KEY-PQ-1…` (either case, never mixed).
    public init(parsing text: String) throws {
        try self.init(parsing: SecretBytes(copying: Array(text.trimmingASCIIWhitespace().utf8)))
    }

    /// Parses one identity held in wiped-on-release memory (no surrounding whitespace).
    public init(parsing text: SecretBytes) throws {
        let (prefix, secret) = try text.withUnsafeBytes { try Bech32.decode($0, what: "the identity") }
        switch prefix {
        case Self.x25519Prefix:
            guard secret.count == 32,
                let key = try? secret.withUnsafeBytes({ try Curve25519.KeyAgreement.PrivateKey(rawRepresentation: $0) })
            else {
                throw ArborError(.malformedInput, "the X25519 identity does not hold a 32-byte key")
            }
            kind = .x25519(key)
        case Self.postQuantumPrefix:
            guard secret.count == MLKEM768X25519Stanza.seedSize,
                let key = try? secret.withUnsafeBytes({ try XWingMLKEM768X25519.PrivateKey(seedRepresentation: $0, publicKey: nil) })
            else {
                throw ArborError(.malformedInput, "the post-quantum identity does not hold a 32-byte X-Wing seed")
            }
            kind = .mlkem768x25519(key)
        default:
            throw ArborError(
                .malformedInput,
                "this identity type is not one arbor knows; use AGE-SECRET-KEY-1… or AGE-SECRET-KEY-PQ-1… (plugin identities need age itself)"
            )
        }
    }

    public static func x25519(_ key: Curve25519.KeyAgreement.PrivateKey) -> AgeIdentity { AgeIdentity(.x25519(key)) }

    public static func postQuantum(_ key: XWingMLKEM768X25519.PrivateKey) -> AgeIdentity { AgeIdentity(.mlkem768x25519(key)) }

    /// A fresh X25519 identity from the operating system's CSPRNG.
    /// Opens files sealed to this mesh keyring (the `arbor-mesh` stanza).
    public static func meshKeyring(_ keyring: MeshKeyring) -> AgeIdentity { AgeIdentity(.meshKeyring(keyring)) }

    /// Opens files sealed to the storage key of this node or of any node below it (`arbor-tree`).
    /// A stanza may name an epoch at most `maximumEpochsAhead` past the node's own epoch (past 0
    /// for a node below it): deriving an epoch costs one HMAC per epoch before the stanza is
    /// authenticated, so a larger one is refused (`limitExceeded`) rather than run for hours.
    public static func treeNode(
        _ node: NodeSecret, maximumEpochsAhead: UInt32 = defaultMaximumEpochsAhead
    ) -> AgeIdentity {
        AgeIdentity(.treeNode(node, epochsAhead: maximumEpochsAhead))
    }

    /// How many epochs past what a tree identity knows an `arbor-tree` stanza may name by default.
    /// Each epoch is one HMAC of the ratchet, run before the stanza is authenticated: 65,536 take
    /// about 0.2 s, where an attacker's 2^32 − 1 would take hours.
    public static let defaultMaximumEpochsAhead: UInt32 = 1 << 16

    public static func generateX25519() -> AgeIdentity { .x25519(Curve25519.KeyAgreement.PrivateKey()) }

    /// A fresh post-quantum identity from the operating system's CSPRNG.
    public static func generatePostQuantum() throws -> AgeIdentity { .postQuantum(try XWingMLKEM768X25519.PrivateKey.generate()) }

    /// A passphrase; files asking for more than 2^`maximumWorkFactor` scrypt work are refused
    /// (default 2^22, as age).
    public static func scrypt(passphrase: SecretBytes, maximumWorkFactor: Int = 22) throws -> AgeIdentity {
        guard !passphrase.isEmpty else { throw ArborError(.invalidArgument, "the passphrase is empty") }
        guard (1...30).contains(maximumWorkFactor) else {
            throw ArborError(.invalidArgument, "the maximum scrypt work factor must be from 1 to 30")
        }
        return AgeIdentity(.scrypt(passphrase, maximumWorkFactor: maximumWorkFactor))
    }

    /// The matching recipient; nil for a passphrase.
    public var recipient: AgeRecipient? {
        switch kind {
        case .x25519(let key): .x25519(key.publicKey)
        case .mlkem768x25519(let key): .postQuantum(key.publicKey)
        case .scrypt, .meshKeyring, .treeNode: nil
        }
    }

    public var isPassphrase: Bool {
        if case .scrypt = kind { return true }
        return false
    }

    /// The secret key in age's text form, uppercase. This is the secret itself: write it only to
    /// a 0600 file. Nil for a passphrase.
    public func encodedSecretKey() -> SecretBytes? {
        switch kind {
        case .x25519(let key):
            var raw = key.rawRepresentation
            defer { raw.resetBytes(in: 0..<raw.count) }
            return raw.withUnsafeBytes { Bech32.encode(hrp: Self.x25519Prefix, data: $0, uppercase: true) }
        case .mlkem768x25519(let key):
            var seed = key.seedRepresentation
            defer { seed.resetBytes(in: 0..<seed.count) }
            return seed.withUnsafeBytes { Bech32.encode(hrp: Self.postQuantumPrefix, data: $0, uppercase: true) }
        case .scrypt, .meshKeyring, .treeNode: return nil
        }
    }

    public var description: String {
        switch kind {
        case .x25519: "AgeIdentity(X25519, redacted)"
        case .mlkem768x25519: "AgeIdentity(mlkem768x25519, redacted)"
        case .scrypt: "AgeIdentity(scrypt, redacted)"
        case .meshKeyring(let keyring): "AgeIdentity(mesh keyring \(keyring.name), redacted)"
        case .treeNode(let node, _): "AgeIdentity(tree node \(node.path), redacted)"
        }
    }

    enum Unwrapped {
        case fileKey(SymmetricKey)
        case notAddressed
        case wrongPassphrase
    }

    /// Tries every stanza in order. A malformed stanza of this identity's type is an error, as
    /// age does; stanzas of other types are ignored.
    func unwrap(_ stanzas: [AgeStanza]) throws -> Unwrapped {
        var sawScrypt = false
        for stanza in stanzas {
            switch kind {
            case .x25519(let key):
                if let fileKey = try X25519Stanza.unwrap(stanza, with: key) { return .fileKey(fileKey) }
            case .mlkem768x25519(let key):
                if let fileKey = try MLKEM768X25519Stanza.unwrap(stanza, with: key) { return .fileKey(fileKey) }
            case .scrypt(let passphrase, let maximumWorkFactor):
                switch try ScryptStanza.unwrap(stanza, passphrase: passphrase, maximumWorkFactor: maximumWorkFactor) {
                case .fileKey(let fileKey): return .fileKey(fileKey)
                case .wrongPassphrase: sawScrypt = true
                case .notScrypt: break
                }
            case .meshKeyring(let keyring):
                if let fileKey = try MeshKeyringStanza.unwrap(stanza, with: keyring) { return .fileKey(fileKey) }
            case .treeNode(let node, let epochsAhead):
                if let fileKey = try TreeStorageKeyStanza.unwrap(stanza, with: node, epochsAhead: epochsAhead) { return .fileKey(fileKey) }
            }
        }
        return sawScrypt ? .wrongPassphrase : .notAddressed
    }

    /// Parses an identity file as age's `-i` reads it: one identity per line; empty lines and
    /// lines starting with `#` are ignored. Messages name the line, never its content.
    public static func parseFile(_ text: String) throws -> [AgeIdentity] {
        try parseFile(SecretBytes(copying: Array(text.utf8)))
    }

    /// The same, for a file read into wiped-on-release memory: each line is cut out as `SecretBytes`.
    public static func parseFile(_ file: SecretBytes) throws -> [AgeIdentity] {
        var identities: [AgeIdentity] = []
        let lines = file.withUnsafeBytes { TextLines.trimmedRanges(of: $0) }
        for (number, range) in lines.enumerated() {
            let isComment = file.withUnsafeBytes { range.isEmpty || $0[range.lowerBound] == UInt8(ascii: "#") }
            if isComment { continue }
            do {
                identities.append(try AgeIdentity(parsing: file.withUnsafeBytes { SecretBytes(copying: $0[range]) }))
            } catch let error as ArborError {
                throw ArborError(error.code, "line \(number + 1): \(error.message)")
            }
        }
        guard !identities.isEmpty else { throw ArborError(.malformedInput, "the identity file holds no identity") }
        return identities
    }
}
