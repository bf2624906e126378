import Crypto

/// Masks identifying values for the audit log as Vault does: HMAC-SHA256 under a key only the
/// node holds, so the log shows which entries share a token without revealing it, and whoever
/// holds the key can check a known value (`arbor audit` can, given the node key).
public struct AuditMask: Sendable {
    private let key: SymmetricKey

    /// The key from the node's storage key, purpose "audit-hmac".
    public init(node: NodeKeySet) { key = node.storageKey(purpose: "audit-hmac") }

    init(key: SymmetricKey) { self.key = key }

    /// "hmac-sha256:" and the lower-case hex HMAC of `value`.
    public func mask(_ value: String) -> String {
        "hmac-sha256:" + Hex.encode(Array(HMAC<SHA256>.authenticationCode(for: Array(value.utf8), using: key)))
    }
}
