import Foundation

/// The node's clock, passed in so that tests decide what time it is (token expiry, say)
/// instead of sleeping.
public struct NodeClock: Sendable {
    /// Seconds since 1970.
    public let now: @Sendable () -> Int64

    public init(now: @escaping @Sendable () -> Int64) {
        self.now = now
    }

    public static let system = NodeClock { Int64(Date().timeIntervalSince1970) }
}
