import Foundation

/// What a certified key may be used for, as a bit set.
public struct KeyUsage: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Sign messages and files.
    public static let sign = KeyUsage(rawValue: 1 << 0)
    /// Key agreement and encryption to this node (X25519, X-Wing).
    public static let keyAgreement = KeyUsage(rawValue: 1 << 1)
    /// Certify and revoke descendants.
    public static let certify = KeyUsage(rawValue: 1 << 2)

    public static let all: KeyUsage = [.sign, .keyAgreement, .certify]
    static let names: [(KeyUsage, String)] = [(.sign, "sign"), (.keyAgreement, "agree"), (.certify, "certify")]

    /// Parses a comma-separated list such as `sign,agree`.
    public init(parsing text: String) throws {
        var usage = KeyUsage()
        for name in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let match = Self.names.first(where: { $0.1 == name }) else {
                throw ArborError(.invalidArgument, "unknown key usage '\(name)'; use sign, agree and certify, comma-separated")
            }
            usage.insert(match.0)
        }
        guard !usage.isEmpty else { throw ArborError(.invalidArgument, "name at least one key usage: sign, agree, certify") }
        self = usage
    }

    public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }
    public var description: String { names.joined(separator: ",") }
}
