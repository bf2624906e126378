import ArborCore

/// A trust bundle's safety number, in digits and words, for people to compare out of band.
public struct SafetyNumberSummary: Codable, Sendable, Equatable {
    public let digits: String
    public let words: [String]

    public init(_ number: SafetyNumber) {
        digits = number.digits
        words = number.words
    }
}
