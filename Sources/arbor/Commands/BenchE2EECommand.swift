import ArborCore
import ArborE2EE
import ArgumentParser
import Crypto
import Foundation

struct BenchE2EECommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "e2ee",
        abstract: "Benchmark the end-to-end encryption client: accounts, messages and token streams, against raw AES-256-GCM.",
        discussion: """
            All in this process, no node: what the client adds. Sign-up and sign-in at 600,000 PBKDF2 rounds (sign-in: \
            the password stretched, the master key and the identity opened and checked). A message of each size sealed \
            (AES-256-GCM under the epoch's message key, then the hybrid Ed25519 + ML-DSA-65 signature) and read (the \
            signature verified, then opened), against AES.GCM.seal and open of the same bytes with the same key. A token \
            stream's chunk sealed and opened against raw AES-GCM of the same piece; its overhead in bytes is the tag. \
            Migration of legacy plaintext: messages per second through PlaintextMigration (ids derived, each message \
            sealed and signed, the state file saved after every batch of 100) into a destination in this process, \
            against raw AES-256-GCM of the same plaintexts. \
            Added latency per message = seal + read − raw seal − raw open; the seed's claim is under 5 ms. Each time is \
            the best of five runs.

            Build with: swift build -c release --product arbor
            """
    )

    @Option(name: .long, help: "Scale the iterations (1 = the documented run).")
    var scale: Double = 1

    @OptionGroup var output: OutputOptions

    struct Row: Encodable {
        let operation: String
        let microsecondsPerOp: Double
        let rawMicrosecondsPerOp: Double?
        /// Microseconds added over the raw primitive.
        let addedMicroseconds: Double?
        let bytesAdded: Int?
    }

    struct Report: Encodable {
        let rounds: UInt32
        let rows: [Row]
        let addedLatencyPerMessageMilliseconds: [String: Double]
        let target: String
        let meetsTarget: Bool
        let migration: BenchMigration.Result
    }

    func run() async throws {
        var rows: [Row] = []
        let password = SecretBytes(copying: Array("correct horse battery staple".utf8))
        let accountRuns = max(1, Int((3 * scale).rounded()))

        // Accounts.
        var record: AccountRecord?
        let signUp = try Self.best(runs: accountRuns) { record = try AccountKeys.signUp(password: password).record }
        rows.append(
            Row(
                operation: "sign-up (600,000 rounds)", microsecondsPerOp: signUp * 1e6, rawMicrosecondsPerOp: nil, addedMicroseconds: nil,
                bytesAdded: nil))
        let signIn = try Self.best(runs: accountRuns) { _ = try AccountKeys.signIn(password: password, record: record!) }
        rows.append(
            Row(
                operation: "sign-in (600,000 rounds)", microsecondsPerOp: signIn * 1e6, rawMicrosecondsPerOp: nil, addedMicroseconds: nil,
                bytesAdded: nil))

        // A conversation of two.
        let alice = try AccountKeys.signUp(password: password).keys
        let bob = try AccountKeys.signUp(password: password).keys
        let nonce = randomBytes(ConversationID.nonceSize)
        let conversation = try ConversationID(creator: alice.account, nonce: nonce)
        let epochKey = EpochKey.random()
        let envelopes = try [alice, bob].map {
            try KeyEnvelope.seal(
                epochKey, conversation: conversation, epoch: 0, recipient: $0.account, recipientKeys: $0.identity.publicKeys,
                adder: alice.account, adderIdentity: alice.identity)
        }
        let identities = [alice.account: alice.identity.publicKeys, bob.account: bob.identity.publicKeys]
        let membership = try ConversationMembership(
            conversation: conversation, creator: alice.account, nonce: nonce, envelopes: envelopes, identities: identities)
        let bobsKey = try membership.envelope(for: bob.account, epoch: 0)!.open(with: bob.identity, adderKeys: alice.identity.publicKeys)
        let rawKey = SymmetricKey(size: .bits256)

        var latency: [String: Double] = [:]
        let messageRuns = max(1, Int((50 * scale).rounded()))
        for size in [100, 1024, 16 * 1024] {
            let plaintext = [UInt8](repeating: 0x61, count: size)
            var sealed: [SealedMessage] = []
            var sequence: UInt64 = 0
            let seal =
                try Self.best(runs: 5) {
                    sealed = []
                    for _ in 0..<messageRuns {
                        sequence += 1
                        let header = try MessageHeader(
                            kind: .text, conversation: conversation, epoch: 0, sender: alice.account, sequence: sequence, previous: .none)
                        sealed.append(try SealedMessage.seal(plaintext, header: header, epochKey: epochKey, senderIdentity: alice.identity))
                    }
                } / Double(messageRuns)
            let read =
                try Self.best(runs: 5) {
                    var reader = ConversationReader(conversation: conversation)
                    for message in sealed {
                        _ = try reader.read(message, membership: membership, epochKeys: [0: bobsKey], identities: identities)
                    }
                } / Double(messageRuns)
            var boxes: [AES.GCM.SealedBox] = []
            let rawSeal =
                try Self.best(runs: 5) {
                    boxes = try (0..<messageRuns).map { _ in try AES.GCM.seal(plaintext, using: rawKey) }
                } / Double(messageRuns)
            let rawOpen =
                try Self.best(runs: 5) {
                    for box in boxes { _ = try AES.GCM.open(box, using: rawKey) }
                } / Double(messageRuns)
            let overhead = sealed[0].bytes.count - size
            rows.append(
                Row(
                    operation: "message \(size) B: encrypt + sign", microsecondsPerOp: seal * 1e6, rawMicrosecondsPerOp: rawSeal * 1e6,
                    addedMicroseconds: (seal - rawSeal) * 1e6, bytesAdded: overhead))
            rows.append(
                Row(
                    operation: "message \(size) B: verify + decrypt", microsecondsPerOp: read * 1e6, rawMicrosecondsPerOp: rawOpen * 1e6,
                    addedMicroseconds: (read - rawOpen) * 1e6, bytesAdded: nil))
            latency["\(size)"] = (seal + read - rawSeal - rawOpen) * 1e3
        }

        // Token streams: a token-sized piece and a 4 KiB one.
        let chunkRuns = max(1, Int((2000 * scale).rounded()))
        for size in [16, 4096] {
            let piece = [UInt8](repeating: 0x62, count: size)
            let header = try MessageHeader(
                kind: .stream, conversation: conversation, epoch: 0, sender: alice.account, sequence: 1, previous: .none)
            let streamKey = StreamKey.random()
            let opening = try SealedMessage.seal(streamKey.plaintext, header: header, epochKey: epochKey, senderIdentity: alice.identity)
            var chunks: [[UInt8]] = []
            let seal =
                try Self.best(runs: 5) {
                    var writer = try StreamWriter(message: opening, streamKey: streamKey)
                    chunks = try (0..<chunkRuns).map { index in try writer.seal(piece, isFinal: index == chunkRuns - 1) }
                } / Double(chunkRuns)
            let open =
                try Self.best(runs: 5) {
                    var reader = try StreamReader(message: opening, opened: streamKey.plaintext)
                    for (index, chunk) in chunks.enumerated() {
                        _ = try reader.open(chunk, index: UInt64(index), isFinal: index == chunkRuns - 1)
                    }
                } / Double(chunkRuns)
            var boxes: [AES.GCM.SealedBox] = []
            let rawSeal =
                try Self.best(runs: 5) {
                    boxes = try (0..<chunkRuns).map { _ in try AES.GCM.seal(piece, using: rawKey) }
                } / Double(chunkRuns)
            let rawOpen =
                try Self.best(runs: 5) {
                    for box in boxes { _ = try AES.GCM.open(box, using: rawKey) }
                } / Double(chunkRuns)
            rows.append(
                Row(
                    operation: "stream chunk \(size) B: seal", microsecondsPerOp: seal * 1e6, rawMicrosecondsPerOp: rawSeal * 1e6,
                    addedMicroseconds: (seal - rawSeal) * 1e6, bytesAdded: chunks[0].count - size))
            rows.append(
                Row(
                    operation: "stream chunk \(size) B: open", microsecondsPerOp: open * 1e6, rawMicrosecondsPerOp: rawOpen * 1e6,
                    addedMicroseconds: (open - rawOpen) * 1e6, bytesAdded: nil))
        }

        // Migration of legacy plaintext (docs/e2ee.md §15), in process.
        let migration = try await BenchMigration.run(messages: max(10, Int((1000 * scale).rounded())), keys: alice)

        let worst = latency.values.max() ?? 0
        let report = Report(
            rounds: PasswordParameters.minimumRounds, rows: rows, addedLatencyPerMessageMilliseconds: latency,
            target: "< 5 ms added per message",
            meetsTarget: worst < 5, migration: migration)
        try output.emit(report, human: Self.table(report))
    }

    /// The best (shortest) of `runs` timings of `body`, in seconds.
    static func best(runs: Int, _ body: () throws -> Void) throws -> Double {
        var best = Double.infinity
        for _ in 0..<runs {
            let start = ContinuousClock.now
            try body()
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best
    }

    static func table(_ report: Report) -> String {
        func time(_ microseconds: Double?) -> String {
            guard let microseconds else { return "" }
            return microseconds >= 10_000 ? String(format: "%.1f ms", microseconds / 1000) : String(format: "%.1f µs", microseconds)
        }
        func pad(_ text: String, _ width: Int) -> String { String(repeating: " ", count: max(1, width - text.count)) + text }
        var lines = [
            "operation".padding(toLength: 36, withPad: " ", startingAt: 0) + "    time/op     raw AES-GCM       added   bytes added"
        ]
        for row in report.rows {
            lines.append(
                row.operation.padding(toLength: 36, withPad: " ", startingAt: 0) + pad(time(row.microsecondsPerOp), 11)
                    + pad(time(row.rawMicrosecondsPerOp), 15) + pad(time(row.addedMicroseconds), 12)
                    + pad(row.bytesAdded.map(String.init) ?? "", 14))
        }
        let latencies = report.addedLatencyPerMessageMilliseconds.sorted { Int($0.key)! < Int($1.key)! }
            .map { "\($0.key) B " + String(format: "%.2f ms", $0.value) }.joined(separator: ", ")
        lines.append(
            "added latency per message (seal + read − raw): \(latencies); target \(report.target): \(report.meetsTarget ? "met" : "MISSED")"
        )
        let migration = report.migration
        lines.append(
            "migration of legacy plaintext (\(migration.messages) messages, batches of \(migration.batch), no node): "
                + String(
                    format: "%.0f messages/s; raw AES-256-GCM of the same plaintexts: %.0f messages/s",
                    migration.messagesPerSecond, migration.rawMessagesPerSecond))
        return lines.joined(separator: "\n")
    }
}
