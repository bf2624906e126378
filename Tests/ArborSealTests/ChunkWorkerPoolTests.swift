import Foundation
import Synchronization
import Testing

@testable import ArborSeal

/// The pool that seals and opens a stream's chunks: every index runs exactly once and has run
/// when `forEach` returns, whether the pool is free, busy with another thread's batch, or called
/// from inside one of its own batches.
@Suite("chunk worker pool")
struct ChunkWorkerPoolTests {
    /// Per-index call counters, written by the pool's threads.
    final class Counters: Sendable {
        let calls: Mutex<[Int]>
        /// The threads that made calls.
        let threads = Mutex<Set<ObjectIdentifier>>([])

        init(_ count: Int) { calls = Mutex(Array(repeating: 0, count: count)) }

        func record(_ index: Int) {
            calls.withLock { $0[index] += 1 }
            let thread = ObjectIdentifier(Thread.current)
            threads.withLock { _ = $0.insert(thread) }
        }

        var counts: [Int] { calls.withLock { $0 } }
    }

    @Test("every index runs once, and has run when forEach returns", arguments: [0, 1, 2, 3, 31, 32, 33, 1000])
    func everyIndexOnce(count: Int) {
        let pool = ChunkWorkerPool(workers: 3)
        for _ in 0..<20 {
            let counters = Counters(count)
            pool.forEach(count) { counters.record($0) }
            #expect(counters.counts == Array(repeating: 1, count: count))
        }
    }

    @Test("batches from several threads at once all complete (a busy pool runs the caller's batch inline)")
    func concurrentCallers() async {
        let pool = ChunkWorkerPool(workers: 2)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var allOnce = true
                    for _ in 0..<50 {
                        let counters = Counters(64)
                        pool.forEach(64) { index in
                            counters.record(index)
                            if index % 16 == 0 { usleep(50) }
                        }
                        allOnce = allOnce && counters.counts == Array(repeating: 1, count: 64)
                    }
                    return allOnce
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results == Array(repeating: true, count: 8))
    }

    @Test("a batch started from inside a batch runs and completes")
    func nested() {
        let pool = ChunkWorkerPool(workers: 2)
        let outer = Counters(8)
        let inner = Counters(8 * 16)
        pool.forEach(8) { index in
            outer.record(index)
            pool.forEach(16) { inner.record(index * 16 + $0) }
        }
        #expect(outer.counts == Array(repeating: 1, count: 8))
        #expect(inner.counts == Array(repeating: 1, count: 8 * 16))
    }

    @Test("the workers take part: a batch of slow calls runs on more than the calling thread")
    func workersTakePart() {
        let pool = ChunkWorkerPool(workers: 2)
        let counters = Counters(48)
        pool.forEach(48) { index in
            counters.record(index)
            usleep(2_000)
        }
        #expect(counters.counts == Array(repeating: 1, count: 48))
        #expect(counters.threads.withLock { $0.count } > 1)
    }

    @Test("with no workers (one core) the caller runs everything")
    func noWorkers() {
        let pool = ChunkWorkerPool(workers: 0)
        let counters = Counters(10)
        pool.forEach(10) { counters.record($0) }
        #expect(counters.counts == Array(repeating: 1, count: 10))
        #expect(counters.threads.withLock { $0 } == [ObjectIdentifier(Thread.current)])
    }
}
