import Synchronization

/// Token buckets by key (a token's accessor, a client's address): each holds up to `burst`
/// requests and refills at `perSecond`. Time comes from the node's clock, so tests move it
/// instead of sleeping.
final class RateLimiter: Sendable {
    /// Above this many keys, full buckets (keys idle long enough to have refilled) are dropped, so
    /// that a stream of new addresses cannot grow the table without bound.
    static let maximumKeys = 10_000

    private struct Bucket {
        var tokens: Double
        var updated: Int64
    }

    let limit: RateLimit
    private let clock: NodeClock
    private let buckets = Mutex<[String: Bucket]>([:])

    init(_ limit: RateLimit, clock: NodeClock) {
        self.limit = limit
        self.clock = clock
    }

    /// Takes one request from `key`'s bucket: nil if it had one, else the seconds until it will.
    func take(_ key: String) -> Int? {
        let now = clock.nowMilliseconds()
        let capacity = Double(limit.burst)
        return buckets.withLock { buckets in
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = Double(max(0, now - bucket.updated)) / 1000
            bucket.tokens = min(capacity, bucket.tokens + elapsed * limit.perSecond)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                // Clamped to a day: a tiny configured rate must not overflow `Int`.
                return Int(min(86_400, max(1, ((1 - bucket.tokens) / limit.perSecond).rounded(.up))))
            }
            bucket.tokens -= 1
            if buckets[key] == nil, buckets.count >= Self.maximumKeys { dropFull(&buckets, capacity: capacity, now: now) }
            buckets[key] = bucket
            return nil
        }
    }

    /// Gives back a request taken by `take` that turned out not to count (a reservation that
    /// succeeded). A bucket full again is dropped: no bucket reads as a full one.
    func giveBack(_ key: String) {
        let capacity = Double(limit.burst)
        buckets.withLock { buckets in
            guard var bucket = buckets[key] else { return }
            bucket.tokens += 1
            if bucket.tokens >= capacity { buckets[key] = nil } else { buckets[key] = bucket }
        }
    }

    private func dropFull(_ buckets: inout [String: Bucket], capacity: Double, now: Int64) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + Double(max(0, now - bucket.updated)) / 1000 * limit.perSecond < capacity
        }
    }
}
