import Foundation

/// The node's clock, passed in so that tests decide what time it is (token expiry, say)
/// instead of sleeping.
public struct NodeClock: Sendable {
    /// Seconds since 1970.
    public let now: @Sendable () -> Int64
    /// Milliseconds since 1970 (audit entries); the seconds times 1000 unless given.
    private let milliseconds: (@Sendable () -> Int64)?

    public init(now: @escaping @Sendable () -> Int64, milliseconds: (@Sendable () -> Int64)? = nil) {
        self.now = now
        self.milliseconds = milliseconds
    }

    public func nowMilliseconds() -> Int64 { milliseconds?() ?? now() * 1000 }

    public static let system = NodeClock(
        now: { Int64(Date().timeIntervalSince1970) }, milliseconds: { Int64(Date().timeIntervalSince1970 * 1000) })
}
