import ArborCore
import Crypto
import Foundation

/// Seals the secrets the node keeps in its database (keyring seeds, and whatever secret comes
/// next) under a key derived from the node's storage key, so the database file holds none of
/// them in clear.
///
/// A sealed value is `version (1) ‖ nonce (12) ‖ ChaCha20-Poly1305 ciphertext ‖ tag (16)`. The
/// associated data is the row's identity (table and primary key), so a sealed value copied into
/// another row, or another table, does not open.
public struct SecretSealer: Sendable, CustomStringConvertible {
    /// The storage-key purpose; the node's parent can derive the same key, and so recover the data.
    public static let purpose = "node-database"
    static let version: UInt8 = 1

    private let key: SymmetricKey

    public init(node keys: NodeKeySet) {
        key = keys.storageKey(purpose: Self.purpose)
    }

    public func seal(_ secret: SecretBytes, row: RowIdentity) throws -> Data {
        let box = try secret.withUnsafeBytes { try ChaChaPoly.seal($0, using: key, authenticating: row.associatedData) }
        return Data([Self.version]) + box.combined
    }

    public func open(_ sealed: Data, row: RowIdentity) throws -> SecretBytes {
        guard sealed.first == Self.version, sealed.count >= 1 + 12 + 16 else {
            throw ArborError(.corruptFile, "a sealed value in the node database (\(row)) is damaged")
        }
        do {
            let box = try ChaChaPoly.SealedBox(combined: sealed.dropFirst())
            var plaintext = try ChaChaPoly.open(box, using: key, authenticating: row.associatedData)
            defer { plaintext.withUnsafeMutableBytes { SecretBytes.wipe($0) } }
            return SecretBytes(copying: plaintext)
        } catch {
            throw ArborError(
                .authenticationFailed,
                "a sealed value in the node database (\(row)) does not open under this node's key: the database belongs to another node, or was altered"
            )
        }
    }

    public var description: String { "SecretSealer(redacted)" }
}

/// Where a sealed value lives: it is bound to that place.
public struct RowIdentity: Sendable, Hashable, CustomStringConvertible {
    public let table: String
    public let key: String

    public init(table: String, key: String) {
        self.table = table
        self.key = key
    }

    var associatedData: [UInt8] {
        Array("arbor/v1/node-database".utf8) + [0] + Array(table.utf8) + [0] + Array(key.utf8)
    }

    public var description: String { "\(table) '\(key)'" }
}
