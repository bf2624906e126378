import ArborCore
import ArborCustody

/// Shares of either kind, parsed from their lines and ready to combine.
public enum ParsedShares: Sendable {
    case arbor([ArborShare])
    case slip39([SLIP39Share])

    /// Parses every line; a bad one is named by its line number and never echoed.
    public init(_ lines: [ShareLine], slip39: Bool) throws {
        if slip39 {
            self = .slip39(try lines.map { line in try custody("line \(line.line)") { try SLIP39Share(mnemonic: line.text) } })
        } else {
            self = .arbor(try lines.map { line in try custody("line \(line.line)") { try ArborShare(text: line.text) } })
        }
    }

    /// Combines; an error that singles out a share names its line.
    public func combine(lines: [ShareLine], slip39Passphrase: String) throws -> [UInt8] {
        do {
            switch self {
            case .arbor(let shares): return try ArborShamir.combine(shares)
            case .slip39(let shares): return try SLIP39.combine(shares, passphrase: slip39Passphrase)
            }
        } catch let error as CustodyError {
            throw ArborError(error, context: error.shareNumber.map { "line \(lines[$0 - 1].line)" })
        }
    }

    /// The input line of the first share that recovers a secret on its own (threshold 1; for
    /// SLIP-39, group threshold 1 and member threshold 1), if any.
    public func firstAloneRecovering(lines: [ShareLine]) -> Int? {
        let index: Int? =
            switch self {
            case .arbor(let shares): shares.firstIndex { $0.threshold == 1 }
            case .slip39(let shares): shares.firstIndex { $0.recoversAlone }
            }
        return index.map { lines[$0].line }
    }
}

extension SLIP39Share {
    /// One such mnemonic alone is the secret (group threshold 1 and member threshold 1).
    public var recoversAlone: Bool { groupThreshold == 1 && memberThreshold == 1 }
}

/// Why a share that alone recovers a root is refused by default.
public enum ThresholdOne {
    public static func refusal(line: Int?) -> ArborError {
        ArborError(
            .invalidArgument,
            (line.map { "line \($0): " } ?? "")
                + "this share has threshold 1, so it alone would be the root, and anyone can make such a share: "
                + "nothing was written (if the root really was split 1-of-n, pass --unsafe-threshold-one)")
    }
}
