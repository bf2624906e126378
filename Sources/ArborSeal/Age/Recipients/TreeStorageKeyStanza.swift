import ArborCore
import Crypto

/// Arbor's tree storage-key stanza: the file key sealed under a node's storage key, so the node
/// and every ancestor (up to the root) can open the file.
///
///     -> arbor-tree <path> <epoch> <salt, base64>
///     <file key sealed under the wrapping key, base64>
///
/// wrapping key = HKDF-SHA256(IKM = storage key "age-file" of the node at path and epoch,
/// salt = 16 random bytes, info = "arbor/v1/age-tree" 0x00 ‖ binary path ‖ u32 epoch, L = 32).
enum TreeStorageKeyStanza {
    static let type = "arbor-tree"
    static let domain = "arbor/v1/age-tree"
    static let purpose = "age-file"
    static let saltSize = 16

    static func wrap(_ fileKey: SymmetricKey, node: NodeSecret) throws -> AgeStanza {
        let salt = randomBytes(saltSize)
        let storageKey = try node.storageKey(of: node.path, epoch: node.epoch, purpose: purpose)
        let wrappingKey = try wrappingKey(storageKey: storageKey, salt: salt, path: node.path, epoch: node.epoch)
        return AgeStanza(
            validatedType: type, arguments: [node.path.description, String(node.epoch), AgeBase64.encodeString(salt)],
            body: try AgeKeyWrap.seal(fileKey, with: wrappingKey))
    }

    /// The highest epoch `identity` accepts in a stanza for `path`: its own epoch for its own path,
    /// epoch 0 for a descendant (whose epoch it does not know), plus `epochsAhead`.
    static func maximumEpoch(for path: TreePath, identity: NodeSecret, epochsAhead: UInt32) -> UInt32 {
        let known = path == identity.path ? identity.epoch : 0
        let (sum, overflow) = known.addingReportingOverflow(epochsAhead)
        return overflow ? UInt32.max : sum
    }

    /// nil for other stanza types and for nodes outside this identity's subtree. An epoch more than
    /// `epochsAhead` past what the identity knows is `limitExceeded`, refused before the ratchet runs.
    static func unwrap(_ stanza: AgeStanza, with identity: NodeSecret, epochsAhead: UInt32) throws -> SymmetricKey? {
        guard stanza.type == type else { return nil }
        guard stanza.arguments.count == 3, let path = try? TreePath(parsing: stanza.arguments[0]),
            path.description == stanza.arguments[0],
            let epoch = UInt32(stanza.arguments[1]), String(epoch) == stanza.arguments[1],
            let salt = AgeBase64.decode(Array(stanza.arguments[2].utf8), padded: false), salt.count == saltSize,
            stanza.body.count == AgeKeyWrap.bodySize
        else {
            throw ArborError.ageHeader("an arbor-tree stanza must hold a canonical path, an epoch, a 16-byte salt and a 32-byte body")
        }
        guard path == identity.path || identity.path.isStrictAncestor(of: path) else { return nil }
        let maximumEpoch = maximumEpoch(for: path, identity: identity, epochsAhead: epochsAhead)
        guard epoch <= maximumEpoch else {
            throw ArborError(
                .limitExceeded,
                "the arbor-tree stanza for \(path) names epoch \(epoch), above the limit \(maximumEpoch) for this identity; "
                    + "deriving it would take too long before the stanza is authenticated")
        }
        let storageKey = try identity.storageKey(of: path, epoch: epoch, purpose: purpose)
        guard
            let fileKey = AgeKeyWrap.open(stanza.body, with: try wrappingKey(storageKey: storageKey, salt: salt, path: path, epoch: epoch))
        else {
            throw ArborError(.authenticationFailed, "the arbor-tree stanza for \(path) does not authenticate: the header was altered")
        }
        return fileKey
    }

    static func wrappingKey(storageKey: SymmetricKey, salt: [UInt8], path: TreePath, epoch: UInt32) throws -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: storageKey, salt: salt, info: Array(domain.utf8) + [0] + path.encoded + epochBytes(epoch),
            outputByteCount: 32)
    }

    private static func epochBytes(_ epoch: UInt32) -> [UInt8] { withUnsafeBytes(of: epoch.bigEndian, Array.init) }
}
