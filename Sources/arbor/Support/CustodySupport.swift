import ArborCore
import ArborCustody
import ArborKeyStore
import Foundation

extension ArborError {
    /// The CLI's view of a custody error: the same one-line message, with an exit status per
    /// ArborCommand (2 input, 3 verification, 5 corrupt file). `context` goes in front, e.g. "line 4".
    init(_ error: CustodyError, context: String? = nil) {
        let code: ArborError.Code =
            switch error.code {
            case .invalidParameters, .unsupportedParameterSet, .keyExhausted, .leafNotReserved: .invalidArgument
            case .malformedKeyFile: .corruptFile
            case .wrongKey, .unauthenticatedRequest: .invalidSignature
            case .limitExceeded: .limitExceeded
            case .stateRollback: .conflict
            case .revoked: .revoked
            default: .malformedInput
            }
        self.init(code, (context.map { "\($0): " } ?? "") + error.message)
    }
}

/// Runs `body`, turning custody errors into Arbor errors (with `context` in front).
func custody<Result>(_ context: String? = nil, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as CustodyError {
        throw ArborError(error, context: context)
    }
}

/// Standard input, whole, as bytes (at most 16 MiB). The caller wipes them if they are secret.
func readStandardInput() throws -> [UInt8] {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard data.count <= 16 << 20 else { throw ArborError(.malformedInput, "standard input is larger than 16 MiB") }
    return Array(data)
}

/// One share given as a line of input, with its 1-based line number for error messages.
struct ShareLine {
    let line: Int
    let text: String
}

/// Splits input into share lines, skipping blank lines and lines starting with '#'
/// (the comments `shares split` and `root split` write for people).
func shareLines(_ bytes: [UInt8]) -> [ShareLine] {
    var result = [ShareLine]()
    for (offset, line) in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty || text.hasPrefix("#") { continue }
        result.append(ShareLine(line: offset + 1, text: text))
    }
    return result
}

/// A parsed share of either kind, ready to combine.
enum ParsedShares {
    case arbor([ArborShare])
    case slip39([SLIP39Share])

    /// Parses every line; a bad one is named by its line number and never echoed.
    init(_ lines: [ShareLine], slip39: Bool) throws {
        if slip39 {
            self = .slip39(
                try lines.map { line in try custody("line \(line.line)") { try SLIP39Share(mnemonic: line.text) } })
        } else {
            self = .arbor(try lines.map { line in try custody("line \(line.line)") { try ArborShare(text: line.text) } })
        }
    }

    /// Combines; an error that singles out a share names its line.
    func combine(lines: [ShareLine], slip39Passphrase: String) throws -> [UInt8] {
        do {
            switch self {
            case .arbor(let shares): return try ArborShamir.combine(shares)
            case .slip39(let shares): return try SLIP39.combine(shares, passphrase: slip39Passphrase)
            }
        } catch let error as CustodyError {
            throw ArborError(error, context: error.shareNumber.map { "line \(lines[$0 - 1].line)" })
        }
    }
}

/// Reads a public binary file (RFC 8554 key or signature, delegation, request) written either as
/// raw bytes or as hexadecimal text. The two cannot be confused: every one of these encodings
/// starts with a zero byte, which is not a hex digit.
func readPublicBytes(_ path: String) throws -> [UInt8] {
    let bytes = try SecureFile.readBytes(path)
    let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    if !text.isEmpty, text.utf8.allSatisfy({ isHexDigit($0) }) {
        return try Hex.decode(text)
    }
    return bytes
}

func isHexDigit(_ byte: UInt8) -> Bool {
    (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
}

/// Writes a public binary file, as raw bytes or, with `hex`, one line of lower-case hex.
func writePublicBytes(_ bytes: [UInt8], to path: String, hex: Bool) throws {
    if hex {
        try SecureFile.write(Hex.encode(bytes) + "\n", to: path, mode: .public)
    } else {
        try SecureFile.write(bytes: bytes, to: path, mode: .public)
    }
}

/// A SLIP-39 passphrase from the first line of a file; "" without one. Printable ASCII only.
func readSLIP39Passphrase(_ path: String?) throws -> String {
    guard let path else { return "" }
    let secret = try PassphraseSource.file(path).read(prompt: "")
    return secret.withUnsafeBytes { String(decoding: $0, as: UTF8.self) }
}

/// Parses `--groups "2of3,3of5"`.
func parseGroups(_ text: String) throws -> [SLIP39.Group] {
    try text.split(separator: ",").map { item in
        let parts = item.trimmingCharacters(in: .whitespaces).lowercased().components(separatedBy: "of")
        guard parts.count == 2, let threshold = Int(parts[0]), let count = Int(parts[1]) else {
            throw ArborError(.invalidArgument, "--groups takes a comma-separated list like 2of3,3of5, not '\(text)'")
        }
        return SLIP39.Group(memberThreshold: threshold, memberCount: count)
    }
}
