import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs the iterations of a batch on every core: the calling thread and one long-lived worker
/// per other core, each claiming the next index until none is left.
///
/// Why not `DispatchQueue.concurrentPerform`: its workers sleep as soon as a batch ends, and a
/// stream calls it once per piece, so every piece paid a thread wake-up (about 25 µs measured on
/// this project's 2-core VM, one chunk's worth of work) while the calling thread worked alone.
/// Here a worker keeps polling for the next batch for a short while (`spinLimit`, longer than the
/// gap between two pieces of a busy stream) before it sleeps, as OpenMP and Rayon pools do.
///
/// One batch runs at a time. A caller that finds the pool busy (another stream on another
/// thread, or a call from inside a batch) runs its batch on its own thread instead of waiting.
final class ChunkWorkerPool: Sendable {
    static let shared = ChunkWorkerPool(workers: ProcessInfo.processInfo.activeProcessorCount - 1)

    /// How long an idle worker polls for the next batch before it sleeps.
    static let spinLimit: Duration = .microseconds(300)

    private let board: Board
    private let workerCount: Int
    /// Serializes batches; a caller that cannot take it runs inline.
    private let running = Mutex(false)

    init(workers: Int) {
        board = Board()
        workerCount = max(0, workers)
        for _ in 0..<workerCount {
            let thread = Thread { [board] in board.workerLoop() }
            thread.start()
        }
    }

    deinit { board.close() }

    /// Calls `body` once for every index in `0..<count`, on all cores when the pool is free;
    /// returns when every call has returned.
    func forEach(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let claimed = running.withLock { busy in
            if busy { return false }
            busy = true
            return true
        }
        guard claimed else {
            for index in 0..<count { body(index) }
            return
        }
        defer { running.withLock { busy in busy = false } }
        guard count > 1, workerCount > 0 else {
            for index in 0..<count { body(index) }
            return
        }
        let batch = Batch(count: count, body: body)
        board.post(batch)
        batch.work()
        // What is left is at most one call per worker, already under way.
        while batch.done.load(ordering: .acquiring) < count { sched_yield() }
        board.post(nil)
    }

    /// One batch: indices are claimed with an atomic counter, so each runs exactly once.
    private final class Batch: Sendable {
        let count: Int
        let body: @Sendable (Int) -> Void
        let next = Atomic<Int>(0)
        let done = Atomic<Int>(0)

        init(count: Int, body: @escaping @Sendable (Int) -> Void) {
            self.count = count
            self.body = body
        }

        /// Claims and runs indices until none is left. A worker that arrives late claims nothing
        /// and never calls `body` after the batch has ended.
        func work() {
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < count else { return }
                body(index)
                done.wrappingAdd(1, ordering: .releasing)
            }
        }
    }

    /// Where the current batch is posted for the workers; owned by the workers, so the pool can
    /// go away and close it.
    private final class Board: Sendable {
        private struct Posted {
            var generation = 0
            var batch: Batch?
            var closed = false
        }

        /// Guarded by `condition`; `generation` mirrors `posted.generation` for polling without it.
        private nonisolated(unsafe) var posted = Posted()
        private let generation = Atomic<Int>(0)
        private let condition = NSCondition()

        /// Posts a batch (a new generation) and wakes sleeping workers; nil clears the board.
        func post(_ batch: Batch?) {
            condition.lock()
            defer { condition.unlock() }
            posted.batch = batch
            guard batch != nil else { return }
            posted.generation += 1
            generation.store(posted.generation, ordering: .releasing)
            condition.broadcast()
        }

        func close() {
            condition.lock()
            defer { condition.unlock() }
            posted.closed = true
            posted.generation += 1
            generation.store(posted.generation, ordering: .releasing)
            condition.broadcast()
        }

        func workerLoop() {
            var seen = 0
            while true {
                waitForGeneration(after: seen)
                condition.lock()
                seen = posted.generation
                let batch = posted.batch
                let closed = posted.closed
                condition.unlock()
                if closed { return }
                batch?.work()
            }
        }

        /// Polls for a generation after `seen` for `spinLimit`, then sleeps until one is posted.
        private func waitForGeneration(after seen: Int) {
            let deadline = ContinuousClock.now + ChunkWorkerPool.spinLimit
            var polls = 0
            while generation.load(ordering: .acquiring) == seen {
                polls += 1
                if polls % 64 == 0, ContinuousClock.now >= deadline {
                    condition.lock()
                    while posted.generation == seen { condition.wait() }
                    condition.unlock()
                    return
                }
                sched_yield()
            }
        }
    }
}
