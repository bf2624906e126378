import ArborCore
import Foundation

/// Reads an audit log's lines in one pass, in constant memory: the node checks its log with it
/// before appending, and `arbor audit verify` checks a log. A line longer than any audit line
/// can be is refused rather than buffered, so a hostile file cannot exhaust memory.
public enum AuditLogLines {
    /// No entry or head comes near this: six fields of at most 1024 bytes, or a 3373-byte
    /// signature in base64.
    public static let maximumLineLength = 64 << 10

    /// Calls `body` with each complete line (without its newline). Returns the byte length of the
    /// complete lines and the length of a last line without a newline (0 when the file ends with
    /// one), which a crash can leave behind.
    @discardableResult
    public static func forEach(in path: String, _ body: (String) throws -> Void) throws -> (complete: Int, torn: Int) {
        guard let reader = FileHandle(forReadingAtPath: path) else {
            throw ArborError(
                FileManager.default.fileExists(atPath: path) ? .ioFailure : .fileNotFound, "cannot read the audit log '\(path)'")
        }
        defer { try? reader.close() }
        var carry: [UInt8] = []
        var complete = 0
        while let chunk = try reader.read(upToCount: 1 << 16), !chunk.isEmpty {
            carry += chunk
            var start = 0
            while let newline = carry[start...].firstIndex(of: UInt8(ascii: "\n")) {
                try body(String(decoding: carry[start..<newline], as: UTF8.self))
                start = newline + 1
            }
            complete += start
            carry.removeFirst(start)
            guard carry.count <= maximumLineLength else {
                throw ArborError(
                    .corruptFile, "the audit log '\(path)' has a line longer than \(maximumLineLength) bytes: it is not an audit log")
            }
        }
        return (complete, carry.count)
    }
}
