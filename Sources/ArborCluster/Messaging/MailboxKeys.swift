import ArborCore

/// The etcd keys of messaging that are not signed records: mailboxes and prekey claims. They live
/// outside the cluster's record prefix, so the node's watch of its records never sees them.
/// - `arbor-mailbox/<cluster>/<recipient path>/<message id, 32 hex digits>`: a sealed message;
/// - `arbor-prekey-claims/<cluster>/<recipient path>/<prekey id, decimal>`: a prekey taken by a sender.
/// A path's own keys are the direct children of its prefix: a descendant's keys have a further `/`.
enum MailboxKeys {
    static func mailbox(of recipient: TreePath, cluster: KeyID) -> String {
        "arbor-mailbox/\(cluster.hex)/\(ClusterRecordKey.text(of: recipient))/"
    }

    static func message(_ id: [UInt8], to recipient: TreePath, cluster: KeyID) -> String {
        mailbox(of: recipient, cluster: cluster) + Hex.encode(id)
    }

    static func claims(of recipient: TreePath, cluster: KeyID) -> String {
        "arbor-prekey-claims/\(cluster.hex)/\(ClusterRecordKey.text(of: recipient))/"
    }

    static func claim(_ prekeyID: UInt32, of recipient: TreePath, cluster: KeyID) -> String {
        claims(of: recipient, cluster: cluster) + String(prekeyID)
    }

    /// The last segment of `key` when it lies directly under `prefix`, else nil.
    static func child(_ key: String, of prefix: String) -> String? {
        guard key.hasPrefix(prefix) else { return nil }
        let rest = key.dropFirst(prefix.count)
        return rest.isEmpty || rest.contains("/") ? nil : String(rest)
    }
}
