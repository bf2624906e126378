import ArborCore

/// How a password is stretched (docs/e2ee.md §3): PBKDF2-HMAC-SHA256 with a per-account random
/// salt. Stored with the account, so that the rounds can be raised later (a password change
/// writes the new ones). PBKDF2 because it is what WebCrypto offers; its weakness against GPUs is
/// the price, and the reason for the 600,000-round floor (OWASP's figure for PBKDF2-SHA256).
public struct PasswordParameters: Sendable, Equatable {
    public static let minimumRounds: UInt32 = 600_000
    public static let maximumRounds: UInt32 = 100_000_000
    public static let saltSize = 16

    public let rounds: UInt32
    public let salt: [UInt8]

    public init(rounds: UInt32, salt: [UInt8]) throws {
        guard (Self.minimumRounds...Self.maximumRounds).contains(rounds) else {
            throw ArborError(
                .invalidArgument, "PBKDF2 takes \(Self.minimumRounds) to \(Self.maximumRounds) rounds; \(rounds) is outside them")
        }
        guard salt.count == Self.saltSize else { throw ArborError(.invalidArgument, "the password salt is \(Self.saltSize) bytes") }
        self.rounds = rounds
        self.salt = salt
    }

    /// Fresh parameters: a random salt and `rounds` (the floor by default).
    public static func fresh(rounds: UInt32 = minimumRounds) throws -> PasswordParameters {
        try PasswordParameters(rounds: rounds, salt: randomBytes(saltSize))
    }
}
