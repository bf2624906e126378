/// What the node knows about a token: never the token itself, only its hash (in the store) and
/// these attributes. The accessor names the token in logs, audit entries and admin calls.
public struct TokenRecord: Sendable, Equatable, Codable {
    public let accessor: String
    public let isRoot: Bool
    public let rules: [PolicyRule]
    public let displayName: String
    /// Seconds since 1970.
    public let createdAt: Int64
    /// Seconds since 1970; nil: the token does not expire.
    public let expiresAt: Int64?
    /// Requests it may still make; nil: unlimited.
    public let usesRemaining: Int?

    public func allows(_ operation: Operation, keyring: String?) -> Bool {
        isRoot || rules.contains { $0.allows(operation, keyring: keyring) }
    }
}

/// The token a request was made with, once authenticated.
public typealias AuthenticatedToken = TokenRecord
