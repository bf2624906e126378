import ArborCore
import Crypto

/// Someone a file is encrypted to: an X25519 public key (`age1…`), a post-quantum X-Wing public
/// key (`age1pq1…`), or a passphrase (scrypt).
public struct AgeRecipient: Sendable, CustomStringConvertible {
    enum Kind: Sendable {
        case x25519(Curve25519.KeyAgreement.PublicKey)
        case mlkem768x25519(XWingMLKEM768X25519.PublicKey)
        case scrypt(SecretBytes, workFactor: Int)
        case meshKeyring(MeshKeyring, origin: TreePath, time: Int64)
        case treeStorageKey(NodeSecret)
    }

    static let x25519Prefix = "age"
    static let postQuantumPrefix = "age1pq"

    let kind: Kind

    init(_ kind: Kind) { self.kind = kind }

    /// Parses `age1…` (X25519) or `age1pq1…` (mlkem768x25519), in lowercase or uppercase.
    public init(parsing text: String) throws {
        let trimmed = text.trimmingASCIIWhitespace()
        // An SSH public key is a recipient for age itself, not for Arbor: say so rather than "not Bech32".
        if let type = trimmed.split(separator: " ", maxSplits: 1).first,
            type.hasPrefix("ssh-") || type.hasPrefix("sk-ssh-") || type.hasPrefix("ecdsa-sha2-")
        {
            throw ArborError(
                .invalidArgument,
                "unsupported recipient type: \(type.prefix(40)) (Arbor reads age X25519 and ML-KEM-768+X25519 recipients)")
        }
        let (prefix, data) = try Bech32.decode(trimmed, what: "the recipient")
        switch prefix {
        case Self.x25519Prefix:
            guard data.count == X25519Stanza.keySize, let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: data) else {
                throw ArborError(.malformedInput, "the X25519 recipient does not hold a 32-byte key")
            }
            kind = .x25519(key)
        case Self.postQuantumPrefix:
            guard data.count == MLKEM768X25519Stanza.publicKeySize,
                let key = try? XWingMLKEM768X25519.PublicKey(rawRepresentation: data)
            else {
                throw ArborError(.malformedInput, "the post-quantum recipient does not hold a valid 1216-byte X-Wing key")
            }
            kind = .mlkem768x25519(key)
        default:
            throw ArborError(
                .malformedInput,
                "'\(prefix)1…' is not a recipient type arbor knows; use age1… (X25519) or age1pq1… (post-quantum), or age plugin recipients with age itself"
            )
        }
    }

    public static func x25519(_ key: Curve25519.KeyAgreement.PublicKey) -> AgeRecipient { AgeRecipient(.x25519(key)) }

    public static func postQuantum(_ key: XWingMLKEM768X25519.PublicKey) -> AgeRecipient { AgeRecipient(.mlkem768x25519(key)) }

    /// A passphrase, stretched by scrypt with work factor 2^`workFactor` (16 to 22; age's default 18).
    public static func scrypt(passphrase: SecretBytes, workFactor: Int = 18) throws -> AgeRecipient {
        guard (ScryptStanza.minimumSafeWorkFactor...ScryptStanza.maximumWorkFactor).contains(workFactor) else {
            throw ArborError(
                .invalidArgument,
                "the scrypt work factor must be from \(ScryptStanza.minimumSafeWorkFactor) to \(ScryptStanza.maximumWorkFactor)")
        }
        return try unsafeScrypt(passphrase: passphrase, workFactor: workFactor)
    }

    /// Any work factor from 1 to 22; below 16 a passphrase is cheap to guess. For tests.
    public static func scrypt(passphrase: SecretBytes, unsafeWorkFactor: Int) throws -> AgeRecipient {
        guard (1...ScryptStanza.maximumWorkFactor).contains(unsafeWorkFactor) else {
            throw ArborError(.invalidArgument, "the scrypt work factor must be from 1 to \(ScryptStanza.maximumWorkFactor)")
        }
        return try unsafeScrypt(passphrase: passphrase, workFactor: unsafeWorkFactor)
    }

    private static func unsafeScrypt(passphrase: SecretBytes, workFactor: Int) throws -> AgeRecipient {
        guard !passphrase.isEmpty else { throw ArborError(.invalidArgument, "the passphrase is empty") }
        return AgeRecipient(.scrypt(passphrase, workFactor: workFactor))
    }

    /// The stanza type this recipient writes: `X25519`, `mlkem768x25519` or `scrypt`.
    public var stanzaType: String {
        switch kind {
        case .x25519: X25519Stanza.type
        case .mlkem768x25519: MLKEM768X25519Stanza.type
        case .scrypt: ScryptStanza.type
        case .meshKeyring: MeshKeyringStanza.type
        case .treeStorageKey: TreeStorageKeyStanza.type
        }
    }

    /// True for recipients that stay sound against a quantum computer: ML-KEM-768 + X25519, and
    /// Arbor's symmetric stanzas. Mixing these with X25519 recipients would lose that, so it is refused.
    public var isPostQuantum: Bool {
        switch kind {
        case .mlkem768x25519, .meshKeyring, .treeStorageKey: true
        case .x25519, .scrypt: false
        }
    }

    /// Any node holding the keyring opens the file (the `arbor-mesh` stanza). `origin` is the
    /// sealing node, `time` milliseconds since 1970: both go into the stanza's provenance.
    public static func meshKeyring(_ keyring: MeshKeyring, origin: TreePath, time: Int64) -> AgeRecipient {
        AgeRecipient(.meshKeyring(keyring, origin: origin, time: time))
    }

    /// The node's own storage key (the `arbor-tree` stanza): the node and every ancestor open the file.
    public static func treeStorageKey(of node: NodeSecret) -> AgeRecipient { AgeRecipient(.treeStorageKey(node)) }

    /// The standard text form (`age1…`, `age1pq1…`); nil for a passphrase.
    public var encoded: String? {
        switch kind {
        case .x25519(let key):
            Bech32.encode(hrp: Self.x25519Prefix, data: Array(key.rawRepresentation), uppercase: false)
        case .mlkem768x25519(let key):
            Bech32.encode(hrp: Self.postQuantumPrefix, data: Array(key.rawRepresentation), uppercase: false)
        case .scrypt, .meshKeyring, .treeStorageKey: nil
        }
    }

    public var description: String {
        switch kind {
        case .meshKeyring(let keyring, _, _): "mesh keyring \(keyring.name) of \(keyring.owner)"
        case .treeStorageKey(let node): "storage key of \(node.path)"
        default: encoded ?? "scrypt passphrase (redacted)"
        }
    }

    func wrap(_ fileKey: SymmetricKey) throws -> AgeStanza {
        switch kind {
        case .x25519(let key): try X25519Stanza.wrap(fileKey, to: key)
        case .mlkem768x25519(let key): try MLKEM768X25519Stanza.wrap(fileKey, to: key)
        case .scrypt(let passphrase, let workFactor): try ScryptStanza.wrap(fileKey, passphrase: passphrase, workFactor: workFactor)
        case .meshKeyring(let keyring, let origin, let time):
            try MeshKeyringStanza.wrap(fileKey, keyring: keyring, origin: origin, time: time)
        case .treeStorageKey(let node): try TreeStorageKeyStanza.wrap(fileKey, node: node)
        }
    }

    /// Parses a recipients file as age's `-R` reads it: one recipient per line; empty lines and
    /// lines starting with `#` are ignored.
    public static func parseFile(_ text: String) throws -> [AgeRecipient] {
        var recipients: [AgeRecipient] = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let content = String(line).trimmingASCIIWhitespace()
            if content.isEmpty || content.hasPrefix("#") { continue }
            do {
                recipients.append(try AgeRecipient(parsing: content))
            } catch let error as ArborError {
                throw ArborError(error.code, "line \(number + 1): \(error.message)")
            }
        }
        guard !recipients.isEmpty else { throw ArborError(.malformedInput, "the recipients file holds no recipient") }
        return recipients
    }
}

extension String {
    func trimmingASCIIWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        return String(self.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
    }
}
