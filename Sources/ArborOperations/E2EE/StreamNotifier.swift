import ArborE2EE
import Synchronization

/// Wakes the readers of a token stream when a chunk or its seal is written, in this process: a
/// reader waits for the stream's version to pass the one it last read, so a write between its
/// read and its wait is never missed, and no reader polls.
public final class StreamNotifier: Sendable {
    public struct Stream: Hashable, Sendable {
        public let conversation: ConversationID
        public let message: MessageID

        public init(conversation: ConversationID, message: MessageID) {
            self.conversation = conversation
            self.message = message
        }
    }

    private struct State {
        var versions: [Stream: UInt64] = [:]
        var waiters: [Stream: [UInt64: AsyncStream<Void>.Continuation]] = [:]
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// The stream's version: read it before reading the stream, wait beyond it after.
    public func version(of stream: Stream) -> UInt64 { state.withLock { $0.versions[stream, default: 0] } }

    /// Something was written to `stream`: its readers wake.
    public func notify(_ stream: Stream) {
        let woken = state.withLock { state in
            state.versions[stream, default: 0] += 1
            return state.waiters.removeValue(forKey: stream) ?? [:]
        }
        // Outside the lock: finishing runs `onTermination`, which takes it.
        for continuation in woken.values {
            continuation.yield()
            continuation.finish()
        }
    }

    /// Returns when `stream` moves beyond `version` (true), or after `timeout` (false).
    public func wait(for stream: Stream, beyond version: UInt64, timeout: Duration) async -> Bool {
        let (events, continuation) = AsyncStream<Void>.makeStream()
        let registered = state.withLock { state -> UInt64? in
            guard state.versions[stream, default: 0] <= version else { return nil }
            let id = state.nextWaiter
            state.nextWaiter += 1
            state.waiters[stream, default: [:]][id] = continuation
            return id
        }
        guard let registered else { return true }
        continuation.onTermination = { [self] _ in unregister(registered, from: stream) }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                for await _ in events { return true }
                return false
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return false
            }
            let first = await group.next() ?? false
            group.cancelAll()
            continuation.finish()
            return first
        }
    }

    private func unregister(_ waiter: UInt64, from stream: Stream) {
        state.withLock { state in
            state.waiters[stream]?[waiter] = nil
            if state.waiters[stream]?.isEmpty == true { state.waiters[stream] = nil }
        }
    }

    /// How many readers wait on `stream` (for tests that write once a reader waits).
    public func waiting(on stream: Stream) -> Int { state.withLock { $0.waiters[stream]?.count ?? 0 } }
}
