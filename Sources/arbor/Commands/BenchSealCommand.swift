import ArborCore
import ArborSeal
import ArgumentParser
import Crypto
import Dispatch
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct BenchSealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seal",
        abstract:
            "Benchmark the age stream (MB/s) and mesh tokens (ops/s), each as a ratio to raw swift-crypto, and the stream's peak RSS.",
        discussion: """
            Stream: plaintext from a generator (1 MiB pieces, as `arbor encrypt` reads them; never the whole size in \
            memory) goes through AgeEncryptor (one X25519 recipient), and the output straight into AgeDecryptor. The time \
            spent inside each is summed separately. The raw rate is ChaChaPoly.seal/open of 64 KiB chunks on one core, in \
            this process (the best of 20 passes, on the calling thread and on fresh threads, before and after the stream). \
            Ratio = stream rate / raw one-core rate: two cores give 2.0 at best.

            Token: MeshKeyring.seal + open of 1 KiB against HKDF-SHA256 (44 bytes) + ChaChaPoly.seal + HKDF + open of the \
            same sizes (best of five). Ratio = raw time / token time: 1.0 means no overhead.

            Peak RSS: a child process streams the whole size, another 1 MiB (the baseline); each reports its VmHWM.

            MB = 10^6 bytes. Build with: swift build -c release --product arbor
            """
    )

    @Option(name: .customLong("size-mib"), help: "Plaintext streamed through encrypt and decrypt, in MiB.")
    var sizeMiB: Int = 1024

    @Option(name: .customLong("piece-kib"), help: "Size of the pieces the generator hands to the encryptor, in KiB.")
    var pieceKiB: Int = AgeStreamIO.pieceSize >> 10

    @Option(name: .customLong("chunks-per-batch"), help: "64 KiB chunks sealed or opened concurrently (default: sixteen per core).")
    var chunksPerBatch: Int = AgeEncryptor.defaultChunksPerBatch

    @Option(name: .long, help: "Scale the token iterations and the raw passes (1 = the documented run).")
    var scale: Double = 1

    @Flag(name: .customLong("no-rss"), help: "Skip the peak-RSS child processes.")
    var noRSS = false

    @Flag(name: .customLong("rss-child"), help: .hidden)
    var rssChild = false

    @OptionGroup var output: OutputOptions

    static let chunkSize = 64 << 10
    static let baselineMiB = 1
    static let targetStreamRatio = 1.6
    static let targetTokenRatio = 0.7
    static let targetRSSMiB = 64.0

    struct Row: Encodable {
        let operation: String
        let unit: String
        let measured: Double
        /// The raw one-core rate the ratio is taken against; for the RSS row, the 1 MiB baseline.
        let reference: Double
        let ratio: Double
        let target: String
        let meetsTarget: Bool
    }

    struct RawRates: Encodable {
        let sealOneCoreMBps: Double
        let openOneCoreMBps: Double
        /// Open with the box built from the chunk's bytes (`SealedBox(combined:)`), as any reader of
        /// received bytes must do.
        let openFromBytesOneCoreMBps: Double
        let sealAllCoresMBps: Double
        let openAllCoresMBps: Double
        let tokenOneCoreOpsPerSecond: Double
    }

    struct StreamReport: Encodable {
        let sizeMiB: Int
        let pieceKiB: Int
        let chunksPerBatch: Int
        let ciphertextBytes: Int
        let encryptSeconds: Double
        let decryptSeconds: Double
        let encryptMBps: Double
        let decryptMBps: Double
        /// The stream's rate over the raw rate on all cores at once: how much of the machine it uses.
        let encryptShareOfAllCoresRaw: Double
        let decryptShareOfAllCoresRaw: Double
    }

    /// A child's peak resident set. VmHWM is the one to read: ru_maxrss of a process started by
    /// fork and exec also counts the parent's resident set at the fork (Linux keeps the larger).
    struct RSSReport: Codable {
        let sizeMiB: Int
        let vmHWMKiB: Int?
        let maxRSSKiB: Int

        var peakKiB: Int { vmHWMKiB ?? maxRSSKiB }
    }

    struct RSSComparison: Encodable {
        let streamed: RSSReport
        let baseline: RSSReport
        let differenceMiB: Double
        let target: String
        let meetsTarget: Bool
    }

    struct Report: Encodable {
        let cores: Int
        let cpuModel: String?
        let raw: RawRates
        let stream: StreamReport
        let tokenOpsPerSecond: Double
        let rss: RSSComparison?
        let rows: [Row]
    }

    func validate() throws {
        guard sizeMiB >= 1 else { throw ValidationError("--size-mib must be at least 1") }
        guard pieceKiB >= 1 else { throw ValidationError("--piece-kib must be at least 1") }
        guard chunksPerBatch >= 1 else { throw ValidationError("--chunks-per-batch must be at least 1") }
    }

    func run() async throws {
        if rssChild {
            let identity = AgeIdentity.generateX25519()
            _ = try Self.stream(
                bytes: sizeMiB << 20, pieceSize: pieceKiB << 10, chunksPerBatch: chunksPerBatch, identity: identity)
            let report = RSSReport(sizeMiB: sizeMiB, vmHWMKiB: Self.vmHWMKiB(), maxRSSKiB: Self.maxRSSKiB())
            let encoder = JSONEncoder()
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
            return
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let passes = 5

        // Raw ChaCha20-Poly1305 on 64 KiB chunks, one core (the denominator) and all cores (for reference),
        // before and after the stream; the best is kept.
        let rawChunks = iterations(1024)
        var rawOneCore = try Self.rawChaChaPoly(chunks: rawChunks, passes: passes, threads: 1)
        var rawAllCores = try Self.rawChaChaPoly(chunks: rawChunks, passes: passes, threads: cores)

        // The stream, through the real encryptor and decryptor.
        let identity = AgeIdentity.generateX25519()
        let streamed = try Self.stream(
            bytes: sizeMiB << 20, pieceSize: pieceKiB << 10, chunksPerBatch: chunksPerBatch, identity: identity)

        rawOneCore = rawOneCore.best(try Self.rawChaChaPoly(chunks: rawChunks, passes: passes, threads: 1))
        rawAllCores = rawAllCores.best(try Self.rawChaChaPoly(chunks: rawChunks, passes: passes, threads: cores))
        let plaintextMB = Double(sizeMiB << 20) / 1e6
        let stream = StreamReport(
            sizeMiB: sizeMiB, pieceKiB: pieceKiB, chunksPerBatch: chunksPerBatch, ciphertextBytes: streamed.ciphertextBytes,
            encryptSeconds: streamed.encryptSeconds, decryptSeconds: streamed.decryptSeconds,
            encryptMBps: plaintextMB / streamed.encryptSeconds, decryptMBps: plaintextMB / streamed.decryptSeconds,
            encryptShareOfAllCoresRaw: plaintextMB / streamed.encryptSeconds / rawAllCores.sealMBps,
            decryptShareOfAllCoresRaw: plaintextMB / streamed.decryptSeconds / rawAllCores.openMBps)

        // Tokens: the raw primitive and the keyring, interleaved, best of five each.
        let tokenRounds = iterations(20_000)
        var rawTokenSeconds = Double.infinity
        var tokenSeconds = Double.infinity
        let tokenFixture = try TokenFixture()
        for _ in 0..<passes {
            rawTokenSeconds = min(rawTokenSeconds, try tokenFixture.raw(rounds: tokenRounds) / Double(tokenRounds))
            tokenSeconds = min(tokenSeconds, try tokenFixture.keyring(rounds: tokenRounds) / Double(tokenRounds))
        }
        // Signed tokens (hybrid origin signature, required when opened): the raw cost adds one
        // Ed25519 and one ML-DSA-65 signature and verification over a message of the same size.
        let signedRounds = iterations(300)
        var rawSignedSeconds = Double.infinity
        var signedSeconds = Double.infinity
        for _ in 0..<passes {
            rawSignedSeconds = min(rawSignedSeconds, try tokenFixture.raw(rounds: signedRounds, signed: true) / Double(signedRounds))
            signedSeconds = min(signedSeconds, try tokenFixture.keyring(rounds: signedRounds, signed: true) / Double(signedRounds))
        }

        var rows = [
            Self.row(
                "age stream encrypt, \(sizeMiB) MiB (X25519)", unit: "MB/s", measured: stream.encryptMBps,
                raw: rawOneCore.sealMBps, target: Self.targetStreamRatio),
            Self.row(
                "age stream decrypt, \(sizeMiB) MiB (X25519)", unit: "MB/s", measured: stream.decryptMBps,
                raw: rawOneCore.openMBps, target: Self.targetStreamRatio),
            Self.row(
                "age stream decrypt vs raw open from bytes", unit: "MB/s", measured: stream.decryptMBps,
                raw: rawOneCore.openFromBytesMBps, target: Self.targetStreamRatio),
            Self.row(
                "mesh token seal + open, 1 KiB", unit: "ops/s", measured: 1 / tokenSeconds, raw: 1 / rawTokenSeconds,
                target: Self.targetTokenRatio),
            Self.row(
                "signed token (hybrid origin), 1 KiB", unit: "ops/s", measured: 1 / signedSeconds, raw: 1 / rawSignedSeconds,
                target: Self.targetTokenRatio),
        ]

        var rss: RSSComparison?
        if !noRSS {
            let streamedRSS = try rssOfChild(sizeMiB: sizeMiB)
            let baselineRSS = try rssOfChild(sizeMiB: Self.baselineMiB)
            let peakMiB = Double(streamedRSS.peakKiB) / 1024
            let baselineMiB = Double(baselineRSS.peakKiB) / 1024
            let comparison = RSSComparison(
                streamed: streamedRSS, baseline: baselineRSS, differenceMiB: peakMiB - baselineMiB,
                target: "≤ \(Int(Self.targetRSSMiB)) MiB", meetsTarget: peakMiB <= Self.targetRSSMiB)
            rss = comparison
            rows.append(
                Row(
                    operation: "peak RSS streaming \(sizeMiB) MiB (child)", unit: "MiB", measured: peakMiB, reference: baselineMiB,
                    ratio: peakMiB / baselineMiB, target: comparison.target, meetsTarget: comparison.meetsTarget))
        }

        let report = Report(
            cores: cores, cpuModel: Self.cpuModel(),
            raw: RawRates(
                sealOneCoreMBps: rawOneCore.sealMBps, openOneCoreMBps: rawOneCore.openMBps,
                openFromBytesOneCoreMBps: rawOneCore.openFromBytesMBps, sealAllCoresMBps: rawAllCores.sealMBps,
                openAllCoresMBps: rawAllCores.openMBps, tokenOneCoreOpsPerSecond: 1 / rawTokenSeconds),
            stream: stream, tokenOpsPerSecond: 1 / tokenSeconds, rss: rss, rows: rows)
        try output.emit(report, human: Self.table(report))
    }

    private func iterations(_ base: Int) -> Int { max(1, Int((Double(base) * scale).rounded())) }

    static func row(_ operation: String, unit: String, measured: Double, raw: Double, target: Double) -> Row {
        Row(
            operation: operation, unit: unit, measured: measured, reference: raw, ratio: measured / raw,
            target: String(format: "≥ %.2f", target), meetsTarget: measured / raw >= target)
    }

    // MARK: Stream

    struct StreamTimes {
        var encryptSeconds = 0.0
        var decryptSeconds = 0.0
        var ciphertextBytes = 0
    }

    /// Generates `bytes` of plaintext piece by piece, encrypts each piece, decrypts the output at
    /// once, and checks every released byte against the generator. Only the time spent inside the
    /// encryptor and the decryptor is counted; generating and checking are not.
    static func stream(bytes: Int, pieceSize: Int, chunksPerBatch: Int, identity: AgeIdentity) throws -> StreamTimes {
        var generator = PlaintextGenerator(total: bytes, pieceSize: pieceSize)
        var checker = PlaintextChecker(generator: generator)
        var times = StreamTimes()
        var released: [Data] = []
        func check() throws {
            for slice in released where !checker.check(slice) {
                throw ArborError(.invalidArgument, "the stream benchmark decrypted different bytes: report this bug")
            }
            released.removeAll(keepingCapacity: true)
        }

        var encryptor: AgeEncryptor!
        times.encryptSeconds += try time {
            encryptor = try AgeEncryptor(recipients: [identity.recipient!], chunksPerBatch: chunksPerBatch)
        }
        var decryptor = AgeDecryptor(identities: [identity], chunksPerBatch: chunksPerBatch)
        while let piece = generator.next() {
            var ciphertext: [UInt8] = []
            times.encryptSeconds += try time { ciphertext = try encryptor.update(piece) }
            times.ciphertextBytes += ciphertext.count
            times.decryptSeconds += try time { try decryptor.update(ciphertext) { released.append($0) } }
            try check()
        }
        var last: [UInt8] = []
        times.encryptSeconds += try time { last = try encryptor.finish() }
        times.ciphertextBytes += last.count
        times.decryptSeconds += try time {
            try decryptor.update(last) { released.append($0) }
            try decryptor.finish { released.append($0) }
        }
        try check()
        guard checker.position == bytes else {
            throw ArborError(.invalidArgument, "the stream benchmark decrypted \(checker.position) of \(bytes) bytes: report this bug")
        }
        return times
    }

    /// Plaintext pieces made from one random block, with each 64 KiB chunk stamped with its offset
    /// so that a reordered or repeated chunk would be caught. Each piece is a fresh array, as a
    /// reader would return.
    struct PlaintextGenerator {
        let total: Int
        let pieceSize: Int
        let block: [UInt8]
        var offset = 0

        init(total: Int, pieceSize: Int) {
            self.total = total
            self.pieceSize = pieceSize
            block = BenchSealCommand.noise(pieceSize)
        }

        func piece(at start: Int) -> [UInt8] {
            var piece = Array(block[0..<min(pieceSize, total - start)])
            var chunk = (start + BenchSealCommand.chunkSize - 1) / BenchSealCommand.chunkSize * BenchSealCommand.chunkSize
            while chunk + 8 <= start + piece.count {
                for index in 0..<8 { piece[chunk - start + index] = UInt8(truncatingIfNeeded: chunk >> (8 * index)) }
                chunk += BenchSealCommand.chunkSize
            }
            return piece
        }

        mutating func next() -> [UInt8]? {
            guard offset < total else { return nil }
            defer { offset += pieceSize }
            return piece(at: offset)
        }
    }

    struct PlaintextChecker {
        let generator: PlaintextGenerator
        var position = 0
        var expected: [UInt8] = []
        var expectedStart = -1

        init(generator: PlaintextGenerator) { self.generator = generator }

        mutating func check(_ slice: Data) -> Bool {
            var index = slice.startIndex
            while index < slice.endIndex {
                guard position < generator.total else { return false }
                let start = position / generator.pieceSize * generator.pieceSize
                if start != expectedStart {
                    expected = generator.piece(at: start)
                    expectedStart = start
                }
                let within = position - start
                let count = min(slice.endIndex - index, expected.count - within)
                let equal = slice[index..<index + count].withUnsafeBytes { got in
                    expected.withUnsafeBytes { memcmp(got.baseAddress!, $0.baseAddress! + within, count) == 0 }
                }
                guard equal else { return false }
                index += count
                position += count
            }
            return true
        }
    }

    // MARK: Raw ChaCha20-Poly1305

    struct RawRate {
        let sealMBps: Double
        let openMBps: Double
        let openFromBytesMBps: Double

        func best(_ other: RawRate) -> RawRate {
            RawRate(
                sealMBps: max(sealMBps, other.sealMBps), openMBps: max(openMBps, other.openMBps),
                openFromBytesMBps: max(openFromBytesMBps, other.openFromBytesMBps))
        }
    }

    /// `ChaChaPoly.seal` and `ChaChaPoly.open` on 64 KiB chunks, `chunks` per pass and thread, each
    /// thread on its own chunks. Open takes boxes sealed beforehand, so it times the primitive
    /// alone (building a box from bytes is not counted). Each pass runs twice, once through
    /// `concurrentPerform` (one core: on the calling thread) and once on fresh threads; the best of
    /// all is kept, so the raw rate is not understated (a tight loop of 64 KiB allocations on the
    /// main thread can make glibc return and refault heap pages on every call, which halves it).
    static func rawChaChaPoly(chunks: Int, passes: Int, threads: Int) throws -> RawRate {
        let key = SymmetricKey(size: .bits256)
        let plaintext = noise(chunkSize)
        let nonces = try (0..<16).map { counter in
            try ChaChaPoly.Nonce(data: [UInt8](repeating: 0, count: 10) + [UInt8(counter), 0])
        }
        let boxes = try nonces.map { try ChaChaPoly.seal(plaintext, using: key, nonce: $0) }
        let failed = ManagedAtomicFlag()
        func run(_ body: @escaping @Sendable (Int) throws -> Void) -> Double {
            let work: @Sendable (Int) -> Void = { thread in
                for index in 0..<chunks { if (try? body(thread &+ index)) == nil { failed.set() } }
            }
            var best = Double.infinity
            for _ in 0..<passes {
                best = min(best, time { DispatchQueue.concurrentPerform(iterations: threads, execute: work) })
                best = min(
                    best,
                    time {
                        let group = DispatchGroup()
                        for thread in 0..<threads {
                            group.enter()
                            Thread {
                                work(thread)
                                group.leave()
                            }.start()
                        }
                        group.wait()
                    })
            }
            return Double(chunks * threads * chunkSize) / 1e6 / best
        }
        let seal = plaintext.withUnsafeBytes { buffer in
            let input = SendableBuffer(buffer)
            return run { index in
                let box = try ChaChaPoly.seal(input.buffer, using: key, nonce: nonces[index & 15])
                if box.tag.isEmpty { failed.set() }
            }
        }
        let open = run { index in
            let opened = try ChaChaPoly.open(boxes[index & 15], using: key)
            if opened.count != chunkSize { failed.set() }
        }
        let combined = boxes.map { [UInt8]($0.combined) }
        let openFromBytes = run { index in
            let opened = try ChaChaPoly.open(try ChaChaPoly.SealedBox(combined: combined[index & 15]), using: key)
            if opened.count != chunkSize { failed.set() }
        }
        guard !failed.isSet else { throw ArborError(.invalidArgument, "raw ChaCha20-Poly1305 failed: report this bug") }
        return RawRate(sealMBps: seal, openMBps: open, openFromBytesMBps: openFromBytes)
    }

    /// Benchmark plaintext: splitmix64 from a random seed (fast; it need not be secret).
    static func noise(_ count: Int) -> [UInt8] {
        var state = UInt64.random(in: .min ... .max)
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                if index % 8 == 0 { state &+= 0x9E37_79B9_7F4A_7C15 }
                var mixed = state
                mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
                mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
                buffer[index] = UInt8(truncatingIfNeeded: (mixed ^ (mixed >> 31)) >> (8 * UInt64(index % 8)))
            }
            initialized = count
        }
    }

    /// A read-only buffer shared with the raw benchmark's workers; it outlives them.
    struct SendableBuffer: @unchecked Sendable {
        let buffer: UnsafeRawBufferPointer
        init(_ buffer: UnsafeRawBufferPointer) { self.buffer = buffer }
    }

    final class ManagedAtomicFlag: @unchecked Sendable {
        private let lock = NSLock()
        private var value = false
        func set() { lock.withLock { value = true } }
        var isSet: Bool { lock.withLock { value } }
    }

    // MARK: Tokens

    /// A keyring, a 1 KiB message, and the same inputs for the raw primitive: a 32-byte seed, a
    /// 16-byte salt, the HKDF info of a token (its label, header and context), 40 bytes of
    /// associated data (the token header).
    struct TokenFixture {
        let keyring: MeshKeyring
        let origin: TreePath
        let plaintext: [UInt8]
        let context = Array("order-42".utf8)
        let time: Int64
        let seed = SymmetricKey(size: .bits256)
        let header: [UInt8]
        let info: [UInt8]
        /// The origin's keys, for signed tokens; the raw run signs with the same two keys.
        let signer: NodeKeySet

        init() throws {
            let owner = try RootKey.generate().node.descendant(TreePath(parsing: "eu"))
            keyring = try MeshKeyring.create(name: "bench", owner: owner)
            origin = try TreePath(parsing: "eu/node-7")
            signer = try owner.descendant(origin).keySet()
            var random = SystemRandomNumberGenerator()
            plaintext = (0..<1024).map { _ in UInt8.random(in: 0...255, using: &random) }
            time = Int64(Date().timeIntervalSince1970 * 1000)
            header = (0..<MeshToken.headerSize).map { _ in UInt8.random(in: 0...255, using: &random) }
            info = Array("arbor/v1/mesh-message".utf8) + [0] + header + [0, 0, 0, UInt8(context.count)] + context
        }

        /// HKDF (44 bytes: key and nonce) + seal, then HKDF + open, as a token does; `signed` adds an
        /// Ed25519 and an ML-DSA-65 signature over header, ciphertext and context, and their checks.
        func raw(rounds: Int, signed: Bool = false) throws -> Double {
            var salt = [UInt8](repeating: 0x5A, count: Provenance.nonceSize)
            var failures = 0
            let keys = signer.publicKeys
            let seconds = try BenchSealCommand.time {
                for round in 0..<rounds {
                    salt[0] = UInt8(truncatingIfNeeded: round)
                    salt[1] = UInt8(truncatingIfNeeded: round >> 8)
                    let (key, nonce) = try derive(salt: salt)
                    let box = try ChaChaPoly.seal(plaintext, using: key, nonce: nonce, authenticating: header)
                    var message: [UInt8] = []
                    var signatures: (Data, Data)?
                    if signed {
                        message = header + Array(box.ciphertext) + Array(box.tag) + context
                        signatures = (try signer.signing.signature(for: message), try signer.pqSigning.signature(for: message))
                    }
                    let (openKey, _) = try derive(salt: salt)
                    if let signatures {
                        let classical = keys.signing.isValidSignature(signatures.0, for: message)
                        let postQuantum = keys.pqSigning.isValidSignature(signatures.1, for: message)
                        if !(classical && postQuantum) { failures += 1 }
                    }
                    let opened = try ChaChaPoly.open(box, using: openKey, authenticating: header)
                    if opened.count != plaintext.count { failures += 1 }
                }
            }
            guard failures == 0 else { throw ArborError(.invalidArgument, "raw token benchmark failed: report this bug") }
            return seconds
        }

        private func derive(salt: [UInt8]) throws -> (SymmetricKey, ChaChaPoly.Nonce) {
            let material = HKDF<SHA256>.deriveKey(inputKeyMaterial: seed, salt: salt, info: info, outputByteCount: 44)
            return try material.withUnsafeBytes { bytes in
                (
                    SymmetricKey(data: UnsafeRawBufferPointer(rebasing: bytes[0..<32])),
                    try ChaChaPoly.Nonce(data: UnsafeRawBufferPointer(rebasing: bytes[32..<44]))
                )
            }
        }

        /// `MeshKeyring.seal` then `open`, with a context; `signed`: signed by the origin (hybrid)
        /// and opened with the signature required.
        func keyring(rounds: Int, signed: Bool = false) throws -> Double {
            var failures = 0
            let origin = self.origin
            let originKeys = signer.publicKeys
            let policy: MeshKeyring.OriginPolicy =
                signed ? .requireSignature(minimum: .hybrid) { $0 == origin ? originKeys : nil } : .anyHolder
            let seconds = try BenchSealCommand.time {
                for _ in 0..<rounds {
                    let token = try keyring.seal(plaintext, context: context, origin: origin, time: time, signer: signed ? signer : nil)
                    let opened = try keyring.open(token, context: context, origin: policy)
                    if opened.count != plaintext.count { failures += 1 }
                }
            }
            guard failures == 0 else { throw ArborError(.invalidArgument, "token benchmark failed: report this bug") }
            return seconds
        }
    }

    // MARK: Peak RSS

    /// Runs this executable again with `--rss-child` and reads the peak it reports.
    func rssOfChild(sizeMiB: Int) throws -> RSSReport {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        process.arguments = [
            "bench", "seal", "--rss-child", "--size-mib", String(sizeMiB), "--piece-kib", String(pieceKiB),
            "--chunks-per-batch", String(chunksPerBatch),
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let report = try? JSONDecoder().decode(RSSReport.self, from: data) else {
            throw ArborError(.invalidArgument, "the peak-RSS child process failed (status \(process.terminationStatus))")
        }
        return report
    }

    /// `getrusage(RUSAGE_SELF).ru_maxrss`: the peak resident set of this process, in KiB on Linux.
    static func maxRSSKiB() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss
    }

    /// VmHWM from /proc/self/status (the same peak, as the kernel reports it), in KiB.
    static func vmHWMKiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }

    static func cpuModel() -> String? {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("model name") {
            return line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    // MARK: Timing and output

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func format(_ value: Double, unit: String) -> String {
        switch unit {
        case "MiB": String(format: "%.1f MiB", value)
        case "ops/s": String(format: "%.0f ops/s", value)
        default: String(format: "%.1f \(unit)", value)
        }
    }

    static func table(_ report: Report) -> String {
        var lines = [
            "\(report.cores) cores (\(report.cpuModel ?? "unknown CPU"))"
                + String(
                    format: "; raw ChaCha20-Poly1305, 64 KiB chunks: one core seal %.1f MB/s, open %.1f MB/s; "
                        + "all cores seal %.1f MB/s, open %.1f MB/s",
                    report.raw.sealOneCoreMBps, report.raw.openOneCoreMBps, report.raw.sealAllCoresMBps, report.raw.openAllCoresMBps),
            String(
                format: "stream: %d KiB pieces, %d chunks per batch; encrypt %.2f s, decrypt %.2f s", report.stream.pieceKiB,
                report.stream.chunksPerBatch, report.stream.encryptSeconds, report.stream.decryptSeconds),
            "operation".padding(toLength: 40, withPad: " ", startingAt: 0) + "        measured    raw (one core)   ratio   target",
        ]
        for row in report.rows {
            let isRSS = row.unit == "MiB"
            lines.append(
                row.operation.padding(toLength: 40, withPad: " ", startingAt: 0)
                    + format(row.measured, unit: row.unit).rightAligned(16)
                    + (isRSS ? "baseline " + format(row.reference, unit: row.unit) : format(row.reference, unit: row.unit))
                    .rightAligned(18)
                    + (isRSS ? "" : String(format: "%.2f", row.ratio)).rightAligned(8) + "   " + row.target + " "
                    + (row.meetsTarget ? "met" : "MISSED"))
        }
        if let rss = report.rss {
            lines.append(
                String(
                    format: "peak RSS (VmHWM): %.1f MiB streaming %d MiB, %.1f MiB streaming %d MiB (baseline): %+.1f MiB",
                    Double(rss.streamed.peakKiB) / 1024, rss.streamed.sizeMiB, Double(rss.baseline.peakKiB) / 1024,
                    rss.baseline.sizeMiB, rss.differenceMiB)
                    + String(
                        format: "; ru_maxrss %.1f / %.1f MiB (can count the parent's memory from before exec)",
                        Double(rss.streamed.maxRSSKiB) / 1024, Double(rss.baseline.maxRSSKiB) / 1024))
        }
        lines.append(
            String(
                format: "stream vs raw on all cores: encrypt %.2f, decrypt %.2f", report.stream.encryptShareOfAllCoresRaw,
                report.stream.decryptShareOfAllCoresRaw))
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func rightAligned(_ width: Int) -> String { String(repeating: " ", count: max(1, width - count)) + self }
}
