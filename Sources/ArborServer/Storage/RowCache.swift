import Synchronization

/// Values read from the node database, kept in memory so that the path every request takes (its
/// token, its keyring) skips the database. The running node is the database's only writer, and
/// every write of a cached table calls `invalidate` once it is committed.
///
/// A read that raced with a write never leaves a stale value behind: a reader takes the
/// generation before it reads the database and stores its value only if no write was committed
/// since (`invalidate` moves the generation on and drops the values it names).
final class RowCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    /// Past this many values the cache starts over.
    let capacity: Int

    private struct State {
        var values: [Key: Value] = [:]
        var generation: UInt64 = 0
    }

    private let state = Mutex(State())

    init(capacity: Int = 10_000) {
        self.capacity = capacity
    }

    /// The value for `key`, or `read()`'s, stored if it is not nil, `isCacheable` and no write came
    /// between.
    func value(for key: Key, isCacheable: (Value) -> Bool = { _ in true }, read: () throws -> Value?) rethrows -> Value? {
        let (cached, generation) = state.withLock { ($0.values[key], $0.generation) }
        if let cached { return cached }
        guard let value = try read() else { return nil }
        guard isCacheable(value) else { return value }
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.values.count >= capacity { state.values.removeAll() }
            state.values[key] = value
        }
        return value
    }

    /// After a committed write: drops every value `isAffected` names, and refuses values read
    /// before now.
    func invalidate(where isAffected: (Key, Value) -> Bool) {
        state.withLock { state in
            state.generation &+= 1
            state.values = state.values.filter { !isAffected($0.key, $0.value) }
        }
    }
}
