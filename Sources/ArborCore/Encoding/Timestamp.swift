import Foundation

/// Unix seconds shown as RFC 3339 UTC, e.g. `2026-11-21T09:00:00Z`.
public enum Timestamp {
    public static func format(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    public static func parse(_ text: String) throws -> Int64 {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: text) else {
            throw ArborError(.invalidArgument, "'\(text)' is not a time; write it like 2026-11-21T09:00:00Z")
        }
        return Int64(date.timeIntervalSince1970)
    }
}
