/// The body of `POST /v1/auth/token/create`.
public struct TokenCreateRequest: Decodable, Sendable {
    public static let maximumRules = 64
    public static let maximumDisplayNameLength = 64

    public var policies: [PolicyRule]
    /// Lifetime; nil: as long as the creating token's.
    public var ttl: TokenTTL?
    /// Number of requests the token may make; nil: unlimited.
    public var uses: Int?
    public var displayName: String?

    public init(policies: [PolicyRule] = [], ttl: TokenTTL? = nil, uses: Int? = nil, displayName: String? = nil) {
        self.policies = policies
        self.ttl = ttl
        self.uses = uses
        self.displayName = displayName
    }

    private enum CodingKeys: String, CodingKey {
        case policies, ttl, uses
        case displayName = "display_name"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            policies: try container.decodeIfPresent([PolicyRule].self, forKey: .policies) ?? [],
            ttl: try container.decodeIfPresent(TokenTTL.self, forKey: .ttl),
            uses: try container.decodeIfPresent(Int.self, forKey: .uses),
            displayName: try container.decodeIfPresent(String.self, forKey: .displayName))
    }
}

/// A token lifetime: whole seconds, as a number (`3600`) or with a unit (`"90s"`, `"15m"`,
/// `"1h"`, `"7d"`), as Vault takes them.
public struct TokenTTL: Decodable, Sendable, Equatable {
    /// Ten years.
    public static let maximumSeconds: Int64 = 10 * 365 * 24 * 3600

    public let seconds: Int64

    public init(seconds: Int64) throws {
        guard seconds > 0, seconds <= Self.maximumSeconds else {
            throw NodeError(.invalidRequest, "ttl must be between 1 second and 10 years")
        }
        self.seconds = seconds
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            try self.init(seconds: number)
            return
        }
        let text = try container.decode(String.self)
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        guard let unit = text.last.flatMap({ units[$0] }), let count = Int64(text.dropLast()), count <= Self.maximumSeconds else {
            throw NodeError(.invalidRequest, "ttl must be seconds, or a number with s, m, h or d (\"15m\", \"24h\")")
        }
        try self.init(seconds: count * unit)
    }
}
