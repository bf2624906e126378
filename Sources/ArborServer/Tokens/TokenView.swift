/// A token as `lookup-self` and `create` show it: its accessor and rights, never its secret
/// (except `token` in the answer to `create`, once).
public struct TokenView: Codable, Sendable, Equatable {
    public let accessor: String
    public let root: Bool
    public let policies: [PolicyRule]
    public let displayName: String
    public let createdAt: Int64
    public let expiresAt: Int64?
    public let usesRemaining: Int?

    init(_ record: TokenRecord) {
        accessor = record.accessor
        root = record.isRoot
        policies = record.rules
        displayName = record.displayName
        createdAt = record.createdAt
        expiresAt = record.expiresAt
        usesRemaining = record.usesRemaining
    }

    private enum CodingKeys: String, CodingKey {
        case accessor, root, policies
        case displayName = "display_name"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usesRemaining = "uses_remaining"
    }
}

/// The answer to `POST /v1/auth/token/create`: the only time the token is shown.
public struct CreatedToken: Codable, Sendable {
    public let token: String
    public let info: TokenView
}
