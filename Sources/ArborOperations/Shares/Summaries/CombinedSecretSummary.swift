import ArborCore

/// The secret `shares combine` recovered, in hex: secret, printed only because that is the command's purpose.
public struct CombinedSecretSummary: Codable, Sendable, Equatable {
    public let secret: String

    public init(_ secret: [UInt8]) { self.secret = Hex.encode(secret) }
}
