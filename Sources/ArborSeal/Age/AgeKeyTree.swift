import ArborCore
import Crypto

/// A node of the key tree as an age recipient and identity: its X25519 key in age's `age1…` /
/// `AGE-SECRET-KEY-1…` form, and its X-Wing key in the post-quantum `age1pq1…` /
/// `AGE-SECRET-KEY-PQ-1…` form (the X-Wing seed is the identity). Files encrypted to a node with
/// age interoperate with these.
extension AgeRecipient {
    /// The node's X25519 agreement key, `age1…`.
    public static func x25519(of keys: PublicKeySet) -> AgeRecipient { .x25519(keys.agreement) }

    /// The node's X-Wing agreement key, `age1pq1…`.
    public static func postQuantum(of keys: PublicKeySet) -> AgeRecipient { .postQuantum(keys.pqAgreement) }

    public static func x25519(of node: NodeKeySet) -> AgeRecipient { .x25519(node.agreement.publicKey) }

    public static func postQuantum(of node: NodeKeySet) -> AgeRecipient { .postQuantum(node.pqAgreement.publicKey) }
}

extension AgeIdentity {
    /// The node's X25519 agreement key as an age identity.
    public static func x25519(of node: NodeKeySet) -> AgeIdentity { .x25519(node.agreement) }

    /// The node's X-Wing agreement key as a post-quantum age identity.
    public static func postQuantum(of node: NodeKeySet) -> AgeIdentity { .postQuantum(node.pqAgreement) }
}
