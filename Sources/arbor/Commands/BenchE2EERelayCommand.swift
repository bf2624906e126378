import ArborClient
import ArborCore
import ArgumentParser
import Crypto
import Foundation

struct BenchE2EERelayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2ee-relay",
        abstract:
            "Measure a token stream's latency through a running node: each chunk from the writer's call to the reader's verified piece.",
        discussion: """
            Signs two throwaway accounts up on the node, opens a conversation, and streams --chunks pieces of --size \
            bytes, --interval milliseconds apart (a model's pace), while the second account reads the stream over \
            Server-Sent Events in this process. For each chunk: the time from the writer's call (seal, then PUT) to the \
            reader's verified piece (event, then open). Raw: AES-256-GCM seal and open of the same piece here. The \
            accounts and conversation stay on the node.

            Example: arbor serve --dev, then arbor bench e2ee-relay --node http://127.0.0.1:8200
            """
    )

    @Option(name: .long, help: "The node's URL.")
    var node: String = "http://127.0.0.1:8200"

    @Option(name: .long, help: "How many chunks.")
    var chunks: Int = 200

    @Option(name: .long, help: "Bytes per piece (a token is a few bytes).")
    var size: Int = 16

    @Option(name: .long, help: "Milliseconds between two pieces.")
    var interval: Int = 5

    @OptionGroup var output: OutputOptions

    struct Report: Encodable {
        let chunks: Int
        let pieceBytes: Int
        let milliseconds: [String: Double]
        let rawAEADMicroseconds: Double
    }

    func run() async throws {
        guard (1...10_000).contains(chunks), (0...65_536).contains(size), (0...1000).contains(interval) else {
            throw ValidationError("--chunks is 1 to 10,000, --size 0 to 65,536, --interval 0 to 1,000")
        }
        let client = try ArborE2EEClient(node: node)
        let tag = Hex.encode(randomBytes(4))
        let password = SecretBytes(copying: Array("bench relay password \(tag)".utf8))
        let writer = try await client.signUp(name: "bench-writer-\(tag)", password: password, device: "bench").session
        let reader = try await client.signUp(name: "bench-reader-\(tag)", password: password, device: "bench").session
        let conversation = try await writer.createConversation(with: ["bench-reader-\(tag)"])
        let stream = try await conversation.startStream()
        let incoming = try await reader.conversation(conversation.id).readStream(stream.message)

        let sent = Timestamps(count: chunks)
        let readTask = Task {
            var arrived = [ContinuousClock.Instant?](repeating: nil, count: chunks)
            for try await piece in incoming where piece.index < UInt64(chunks) { arrived[Int(piece.index)] = .now }
            return arrived
        }
        let piece = [UInt8](repeating: 0x61, count: size)
        for index in 0..<chunks {
            sent.set(index, .now)
            if index == chunks - 1 { try await stream.finish(piece) } else { try await stream.write(piece) }
            if interval > 0 { try await Task.sleep(for: .milliseconds(interval)) }
        }
        let arrived = try await readTask.value
        var latencies = try (0..<chunks).map { index -> Double in
            guard let end = arrived[index], let start = sent.get(index) else {
                throw ArborError(.truncated, "chunk \(index) never reached the reader")
            }
            return Self.milliseconds(end - start)
        }
        latencies.sort()
        let quantile = { (q: Double) in latencies[min(latencies.count - 1, Int((Double(latencies.count) * q).rounded(.down)))] }
        let report = Report(
            chunks: chunks, pieceBytes: size,
            milliseconds: ["median": quantile(0.5), "p90": quantile(0.9), "p99": quantile(0.99), "max": latencies.last ?? 0],
            rawAEADMicroseconds: try Self.rawAEAD(piece) * 1000)
        try? await writer.signOut()
        try? await reader.signOut()
        try output.emit(
            report,
            human: String(
                format:
                    "%d chunks of %d bytes through %@: writer's call to reader's verified piece median %.2f ms, p90 %.2f, p99 %.2f, max %.2f; raw AES-256-GCM seal + open %.1f µs",
                chunks, size, node, quantile(0.5), quantile(0.9), quantile(0.99), latencies.last ?? 0, report.rawAEADMicroseconds))
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }

    /// Seal and open of `piece` with AES-256-GCM, in milliseconds, the best of 1,000.
    static func rawAEAD(_ piece: [UInt8]) throws -> Double {
        let key = SymmetricKey(size: .bits256)
        var best = Double.infinity
        for _ in 0..<1000 {
            let start = ContinuousClock.now
            _ = try AES.GCM.open(try AES.GCM.seal(piece, using: key), using: key)
            best = min(best, milliseconds(ContinuousClock.now - start))
        }
        return best
    }
}

/// When each chunk was handed to the writer, shared with the reading task.
private final class Timestamps: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [ContinuousClock.Instant?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ instant: ContinuousClock.Instant) { lock.withLock { values[index] = instant } }
    func get(_ index: Int) -> ContinuousClock.Instant? { lock.withLock { values[index] } }
}
