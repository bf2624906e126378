/// What a token may be allowed to do. A policy rule names operations; the keyring-scoped ones
/// are further limited by keyring name patterns. The names are the wire form in policies.
public enum Operation: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    // Keyrings (point 3 of the node issue; the routes come with ArborOperations).
    case keyringCreate = "keyring.create"
    case keyringRead = "keyring.read"
    case keyringList = "keyring.list"
    case keyringRotate = "keyring.rotate"
    case keyringConfigure = "keyring.configure"
    case keyringRetire = "keyring.retire"
    case encrypt
    case decrypt
    case rewrap
    case dataKey = "datakey"
    // Node-wide.
    case sign
    case verify
    case random
    case tokenCreate = "token.create"
    case metrics
    /// The audit log's latest signed head (`GET /v1/sys/audit/head`).
    case auditRead = "audit.read"
    /// Issue an enrollment bundle for a new node below this one (`POST /v1/cluster/enrollments`).
    case enroll
    /// Grant a keyring's epoch seeds to a node being enrolled: keyring-scoped, so an `enroll`
    /// token hands on only the keyrings it is allowed to.
    case keyringGrant = "keyring.grant"
    /// Move the running node to its next epoch (`POST /v1/sys/rekey`).
    case nodeRekey = "node.rekey"

    /// Whether a rule must also match the keyring's name for this operation.
    public var isKeyringScoped: Bool {
        switch self {
        case .keyringCreate, .keyringRead, .keyringRotate, .keyringConfigure, .keyringRetire, .encrypt, .decrypt, .rewrap, .dataKey,
            .keyringGrant:
            true
        case .keyringList, .sign, .verify, .random, .tokenCreate, .metrics, .auditRead, .enroll, .nodeRekey:
            false
        }
    }

    public var description: String { rawValue }
}
