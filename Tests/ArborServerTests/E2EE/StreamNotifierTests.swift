import ArborCore
import ArborE2EE
import ArborOperations
import Testing

/// The notifier that wakes stream readers: a write wakes a waiting reader (long before its
/// timeout), a write between a reader's read and its wait is not missed, and a timeout says so.
@Suite("stream notifier")
struct StreamNotifierTests {
    static func stream() throws -> StreamNotifier.Stream {
        StreamNotifier.Stream(conversation: try ConversationID(bytes: randomBytes(16)), message: .random())
    }

    @Test("a waiting reader wakes on a write, and stops waiting")
    func wakes() async throws {
        let notifier = StreamNotifier()
        let stream = try Self.stream()
        let version = notifier.version(of: stream)
        let reader = Task { await notifier.wait(for: stream, beyond: version, timeout: .seconds(600)) }
        while notifier.waiting(on: stream) == 0 { await Task.yield() }
        notifier.notify(stream)
        #expect(await reader.value)
        #expect(notifier.waiting(on: stream) == 0)
    }

    @Test("a write after the reader read its version returns at once; a wait with nothing written times out")
    func versions() async throws {
        let notifier = StreamNotifier()
        let stream = try Self.stream()
        let version = notifier.version(of: stream)
        notifier.notify(stream)
        #expect(await notifier.wait(for: stream, beyond: version, timeout: .seconds(600)))
        #expect(await notifier.wait(for: stream, beyond: version + 1, timeout: .milliseconds(1)) == false)
        #expect(notifier.waiting(on: stream) == 0)
    }
}
