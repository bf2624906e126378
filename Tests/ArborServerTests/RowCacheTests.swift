import Testing

@testable import ArborServer

/// The in-memory copy of rows that every request reads (tokens, keyrings): a write is seen by the
/// next read, and a read that raced with a write never leaves the old value behind.
@Suite("Row cache")
struct RowCacheTests {
    @Test("a value is read once, then served from memory until a write invalidates it")
    func readOnceUntilInvalidated() {
        let cache = RowCache<String, Int>()
        var reads = 0
        #expect(
            cache.value(for: "k") {
                reads += 1; return 1
            } == 1)
        #expect(
            cache.value(for: "k") {
                reads += 1; return 2
            } == 1)
        #expect(reads == 1)
        cache.invalidate { key, _ in key == "k" }
        #expect(
            cache.value(for: "k") {
                reads += 1; return 2
            } == 2)
        #expect(reads == 2)
    }

    @Test("a value read before a write committed is returned to its reader but not kept")
    func racingReadIsNotKept() {
        let cache = RowCache<String, Int>()
        // The write commits (and invalidates) while the reader is between its read and its store.
        #expect(
            cache.value(for: "k") {
                cache.invalidate { _, _ in true }; return 1
            } == 1)
        #expect(cache.value(for: "k") { 2 } == 2)
    }

    @Test("nothing is kept for a missing row, or for a value that must be read every time")
    func missingAndUncacheable() {
        let cache = RowCache<String, Int>()
        #expect(cache.value(for: "k") { nil } == nil)
        #expect(cache.value(for: "k") { 1 } == 1)
        #expect(cache.value(for: "u", isCacheable: { _ in false }) { 5 } == 5)
        #expect(cache.value(for: "u") { 6 } == 6)
    }

    @Test("past its capacity the cache starts over instead of growing")
    func capacity() {
        let cache = RowCache<Int, Int>(capacity: 2)
        for key in 0..<3 { _ = cache.value(for: key) { key } }
        // Key 0 was dropped when the third value came in.
        #expect(cache.value(for: 0) { 100 } == 100)
    }
}
