import Crypto

/// A cluster root's fingerprint for people to compare in person, as Signal's safety numbers:
/// twelve groups of five digits, and the same fingerprint as twelve words. Both sides compute it
/// from the root public keys alone, so they see the same thing. See docs/keys.md, "Safety number".
public struct SafetyNumber: Sendable, Equatable, CustomStringConvertible {
    public static let groupCount = 12
    public let digest: [UInt8]

    public init(rootKeys: PublicKeySet) {
        digest = Array(SHA512.hash(data: Array("arbor/v1/safety-number".utf8) + [0] + rootKeys.encoded))
    }

    /// From a 64-byte digest computed elsewhere under another label (the E2EE identities').
    package init(digest: [UInt8]) {
        precondition(digest.count == 64, "a safety number digest is SHA-512")
        self.digest = digest
    }

    /// Twelve groups of five digits: bytes 5i..5i+4 of the digest as a big-endian integer mod 100000.
    public var digitGroups: [String] {
        (0..<Self.groupCount).map { group in
            let value = digest[group * 5..<group * 5 + 5].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
            let text = String(value % 100_000)
            return String(repeating: "0", count: 5 - text.count) + text
        }
    }

    /// Twelve SLIP-39 words: the first 120 bits of the digest, 10 bits a word, most significant first.
    public var words: [String] {
        (0..<Self.groupCount).map { index in
            var value = 0
            for bit in index * 10..<index * 10 + 10 {
                value = value << 1 | Int(digest[bit / 8] >> (7 - UInt8(bit % 8)) & 1)
            }
            return Wordlist.slip39[value]
        }
    }

    public var digits: String { digitGroups.joined(separator: " ") }
    public var description: String { digits }

    /// Why `typed` is not a safety number at all (a typo, not a mismatch), or nil when it has the
    /// shape of one: 60 digits (spacing free) or 12 words of the list. No checksum exists, so a
    /// wrong digit in the right shape is found only by the comparison.
    public static func shapeProblem(_ typed: String) -> String? {
        let text = typed
        guard !text.allSatisfy(\.isWhitespace) else { return "it is empty" }
        if text.allSatisfy({ ($0.isASCII && $0.isNumber) || $0.isWhitespace }) {
            let count = text.filter(\.isNumber).count
            return count == groupCount * 5
                ? nil : "it has \(count) digit\(count == 1 ? "" : "s"), and a safety number has \(groupCount * 5)"
        }
        let typedWords = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "-" })
        if let unknown = typedWords.first(where: { !Wordlist.slip39.contains(String($0)) }) {
            return "'\(unknown.prefix(32))' is neither digits nor a safety-number word"
        }
        return typedWords.count == groupCount
            ? nil : "it has \(typedWords.count) word\(typedWords.count == 1 ? "" : "s"), and a safety number has \(groupCount)"
    }

    /// Accepts either form typed by a person: the 60 digits (spacing free) or the 12 words.
    public func matches(_ typed: String) -> Bool {
        let digitsOnly = typed.filter(\.isNumber)
        if digitsOnly.count == 60, typed.allSatisfy({ $0.isNumber || $0.isWhitespace }) {
            return digitsOnly == digitGroups.joined()
        }
        let typedWords = typed.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "-" }).map(String.init)
        return typedWords == words
    }
}
