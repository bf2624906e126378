import Foundation

/// Looks for many secrets at once in files a test leaves behind (a database, its journal, logs):
/// each secret is a needle of at least 8 bytes, found by its first 8 bytes in one pass over the
/// file, so thousands of plaintexts can be looked for in megabytes of files.
public struct LeakScanner {
    public struct Finding: CustomStringConvertible {
        /// What the needle is (never the secret itself: the finding ends up in the test's output).
        public let label: String
        public let file: String
        public let offset: Int

        public var description: String { "\(label) at byte \(offset) of \(file)" }
    }

    private var needles: [(label: String, bytes: [UInt8])] = []
    private var byPrefix: [UInt64: [Int]] = [:]

    public init() {}

    public var count: Int { needles.count }

    /// Adds a secret in the forms it could leak in: its bytes, and their base64 and hex text.
    public mutating func add(_ label: String, bytes: [UInt8], forms: Set<Form> = Set(Form.allCases)) {
        if forms.contains(.raw) { add(needle: bytes, label: label + " (raw)") }
        if forms.contains(.base64) { add(needle: Array(Data(bytes).base64EncodedString().utf8), label: label + " (base64)") }
        if forms.contains(.hex) { add(needle: Array(bytes.map { String(format: "%02x", $0) }.joined().utf8), label: label + " (hex)") }
    }

    public enum Form: CaseIterable, Sendable { case raw, base64, hex }

    private mutating func add(needle: [UInt8], label: String) {
        precondition(needle.count >= 8, "a needle shorter than 8 bytes would match by chance")
        byPrefix[Self.prefix(needle, at: 0), default: []].append(needles.count)
        needles.append((label, needle))
    }

    private static func prefix(_ bytes: some RandomAccessCollection<UInt8>, at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        var index = bytes.index(bytes.startIndex, offsetBy: offset)
        for _ in 0..<8 {
            value = value << 8 | UInt64(bytes[index])
            index = bytes.index(after: index)
        }
        return value
    }

    /// Every needle found in `bytes`, named `file` in the findings.
    public func scan(_ bytes: [UInt8], file: String) -> [Finding] {
        guard bytes.count >= 8 else { return [] }
        var findings: [Finding] = []
        var window: UInt64 = 0
        for index in 0..<bytes.count {
            window = window << 8 | UInt64(bytes[index])
            guard index >= 7, let candidates = byPrefix[window] else { continue }
            let start = index - 7
            for candidate in candidates {
                let needle = needles[candidate].bytes
                if start + needle.count <= bytes.count, bytes[start..<start + needle.count].elementsEqual(needle) {
                    findings.append(Finding(label: needles[candidate].label, file: file, offset: start))
                }
            }
        }
        return findings
    }

    /// Every needle found in the file at `path` (nothing if there is no such file).
    public func scan(file path: String) throws -> [Finding] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        return scan(Array(try Data(contentsOf: URL(fileURLWithPath: path))), file: path)
    }
}
