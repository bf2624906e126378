import ArborCore
import ArborCustody
import ArborOperations
import ArgumentParser
import Crypto
import Foundation

struct BenchCustodyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "custody",
        abstract: "Benchmark LMS/HSS and Shamir, each as time per operation and as a ratio to its raw primitive cost.",
        discussion: """
            The raw cost of an operation is the number of primitive calls it must make, counted from the algorithm \
            (SHA-256 compression blocks for LMS/HSS; GF(256) multiplications plus SHA-256 blocks for Shamir), times the \
            time of one raw call measured here, in this process. Ratio = measured time / raw cost: 1.0 means no overhead \
            beyond the primitive; below 1.0 means the work was spread over several cores (keygen).
            Build with: swift build -c release --product arbor
            """
    )

    @Option(name: .long, help: "Scale the number of iterations (1 = the documented run).")
    var scale: Double = 1

    @OptionGroup var output: OutputOptions

    struct Row: Encodable {
        let operation: String
        let iterations: Int
        let microsecondsPerOp: Double
        let primitiveCallsPerOp: Double
        let rawMicrosecondsPerOp: Double
        let overheadRatio: Double
        let target: String?
        let meetsTarget: Bool?
    }

    struct Report: Encodable {
        let cores: Int
        let sha256BlockNanoseconds: Double
        let gf256MultiplyNanoseconds: Double
        let rows: [Row]
    }

    func run() async throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let blockSeconds = Self.rawSHA256BlockSeconds(iterations: iterations(400_000))
        let multiplySeconds = Self.rawGF256MultiplySeconds(iterations: iterations(4_000_000))
        var rows = [Row]()
        func record(
            _ operation: String, iterations: Int, seconds: Double, blocks: Double, multiplies: Double = 0, targetMicroseconds: Double? = nil
        ) {
            let perOp = seconds / Double(iterations)
            let raw = blocks * blockSeconds + multiplies * multiplySeconds
            rows.append(
                Row(
                    operation: operation, iterations: iterations, microsecondsPerOp: perOp * 1e6,
                    primitiveCallsPerOp: blocks + multiplies, rawMicrosecondsPerOp: raw * 1e6, overheadRatio: perOp / raw,
                    target: targetMicroseconds.map { "≤ \(Self.format(microseconds: $0))" },
                    meetsTarget: targetMicroseconds.map { perOp * 1e6 <= $0 }))
        }

        // LMS H10/W4: keygen (all cores), sign with the tree cached, verify.
        let h10 = LMSParameters.sha256M32H10
        let w4 = LMOTSParameters.sha256N32W4
        let keygenRuns = iterations(3)
        var key: LMSPrivateKey?
        let keygenSeconds = try Self.time {
            for _ in 0..<keygenRuns { key = try LMSPrivateKey.generate(parameters: h10, otsParameters: w4) }
        }
        record(
            "LMS H10/W4 keygen (\(cores) cores)", iterations: keygenRuns, seconds: keygenSeconds, blocks: Self.keygenBlocks(h10, w4),
            targetMicroseconds: 1_000_000)

        let lms = key!
        var state = LMSLeafState(for: lms)
        let signCount = iterations(1000)
        let messages = (0..<signCount).map { _ in (0..<32).map { _ in UInt8.random(in: 0...255) } }
        var reservation: LMSLeafReservation
        (reservation, state) = try state.reserve(count: signCount)
        var signatures = [LMSSignature]()
        signatures.reserveCapacity(signCount)
        let signSeconds = try Self.time {
            for message in messages { signatures.append(try lms.sign(message, using: reservation)) }
        }
        let signSteps = zip(signatures, messages).map { Self.signChainSteps($0, message: $1, identifier: lms.identifier) }
        let averageSignSteps = Double(signSteps.reduce(0, +)) / Double(signCount)
        let signBlocks = 1 + Self.messageHashBlocks(32) + Double(w4.chainCount) + averageSignSteps
        record("LMS H10/W4 sign (tree cached)", iterations: signCount, seconds: signSeconds, blocks: signBlocks, targetMicroseconds: 2000)

        var valid = true
        let verifySeconds = Self.time {
            for (signature, message) in zip(signatures, messages) {
                valid = lms.publicKey.isValidSignature(signature, for: message) && valid
            }
        }
        guard valid else { throw ArborError(.invalidSignature, "a benchmark signature did not verify: report this bug") }
        let chainTotal = Double(w4.chainCount * ((1 << w4.winternitz) - 1))
        let verifyBlocks = Self.verifyBlocks(h10, w4, messageLength: 32, signSteps: averageSignSteps, chainTotal: chainTotal)
        record("LMS H10/W4 verify", iterations: signCount, seconds: verifySeconds, blocks: verifyBlocks, targetMicroseconds: 1000)

        // HSS, two levels of H10/W4: the bottom key signs, the link above is precomputed.
        let hierarchy = try HSSKeyHierarchy.generate(levels: [.init(h10, w4), .init(h10, w4)])
        var bottomState = hierarchy.leafStates[1]
        var bottomReservation: LMSLeafReservation
        (bottomReservation, bottomState) = try bottomState.reserve(count: signCount)
        var hssSignatures = [HSSSignature]()
        let hssSignSeconds = try Self.time {
            for message in messages { hssSignatures.append(try hierarchy.signer.sign(message, using: bottomReservation)) }
        }
        let hssSteps = zip(hssSignatures, messages).map {
            Self.signChainSteps($0.messageSignature, message: $1, identifier: hierarchy.keys[1].identifier)
        }
        let hssAverageSteps = Double(hssSteps.reduce(0, +)) / Double(signCount)
        record(
            "HSS 2×H10/W4 sign (links cached)", iterations: signCount, seconds: hssSignSeconds,
            blocks: 1 + Self.messageHashBlocks(32) + Double(w4.chainCount) + hssAverageSteps, targetMicroseconds: 2000)
        let hssVerifySeconds = Self.time {
            for (signature, message) in zip(hssSignatures, messages) {
                valid = hierarchy.publicKey.isValidSignature(signature, for: message) && valid
            }
        }
        guard valid else { throw ArborError(.invalidSignature, "a benchmark HSS signature did not verify: report this bug") }
        let link = hssSignatures[0].signedPublicKeys[0]
        let linkSteps = Double(Self.signChainSteps(link.signature, message: link.publicKey.bytes, identifier: hierarchy.keys[0].identifier))
        record(
            "HSS 2×H10/W4 verify", iterations: signCount, seconds: hssVerifySeconds,
            blocks: Self.verifyBlocks(h10, w4, messageLength: 56, signSteps: linkSteps, chainTotal: chainTotal)
                + Self.verifyBlocks(h10, w4, messageLength: 32, signSteps: hssAverageSteps, chainTotal: chainTotal),
            targetMicroseconds: 1000)

        // Shamir, 32-byte secret: split (n × t Horner steps per byte of secret || digest) and combine from t shares.
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255) }
        let width = Double(32 + 16)
        for (threshold, count) in [(3, 5), (6, 10), (128, 255)] {
            let rounds = iterations(count == 255 ? 20 : 2000)
            var shares = [ArborShare]()
            let splitSeconds = try Self.time {
                for _ in 0..<rounds { shares = try ArborShamir.split(secret: secret, threshold: threshold, shareCount: count) }
            }
            record(
                "Shamir split 32 B, \(threshold) of \(count)", iterations: rounds, seconds: splitSeconds, blocks: 4,
                multiplies: Double(count * threshold) * width)
            var recovered = [UInt8]()
            let chosen = Array(shares.suffix(threshold))
            let combineSeconds = try Self.time {
                for _ in 0..<rounds { recovered = try ArborShamir.combine(chosen) }
            }
            guard recovered == secret else {
                throw ArborError(.invalidArgument, "Shamir benchmark recovered a wrong secret: report this bug")
            }
            // Per share: 2(t-1) basis multiplications, one inverse (15) and one multiply for the division, width multiplications.
            record(
                "Shamir combine 32 B, \(threshold) of \(count)", iterations: rounds, seconds: combineSeconds, blocks: 4,
                multiplies: Double(threshold) * (Double(2 * (threshold - 1) + 16) + width))
        }

        let report = Report(
            cores: cores, sha256BlockNanoseconds: blockSeconds * 1e9, gf256MultiplyNanoseconds: multiplySeconds * 1e9, rows: rows)
        try output.emit(report, human: Self.table(report))
    }

    private func iterations(_ base: Int) -> Int { max(1, Int((Double(base) * scale).rounded())) }

    // MARK: Raw primitives

    /// One SHA-256 of a 55-byte input: one compression block, the unit every LMS hash is made of.
    /// The best of five runs, hashing from a buffer with no allocation, so the raw cost is not overstated.
    static func rawSHA256BlockSeconds(iterations: Int) -> Double {
        var input = [UInt8](repeating: 0x5A, count: 55)
        var best = Double.infinity
        for _ in 0..<5 {
            let seconds = input.withUnsafeMutableBytes { buffer in
                time {
                    for index in 0..<(iterations / 5) {
                        buffer[0] = UInt8(truncatingIfNeeded: index)
                        var hasher = SHA256()
                        hasher.update(bufferPointer: UnsafeRawBufferPointer(buffer))
                        hasher.finalize().withUnsafeBytes { buffer[1] = $0[0] }
                    }
                }
            }
            best = min(best, seconds / Double(iterations / 5))
        }
        return best
    }

    /// One constant-time GF(2^8) multiplication (shift and add, no tables), the textbook primitive of Shamir sharing.
    static func rawGF256MultiplySeconds(iterations: Int) -> Double {
        var accumulator: UInt8 = 1
        let seconds = time {
            for index in 0..<iterations {
                var a = accumulator
                var b = UInt8(truncatingIfNeeded: index) | 1
                var product: UInt8 = 0
                for _ in 0..<8 {
                    product ^= a & (0 &- (b & 1))
                    a = (a << 1) ^ (0x1B & (0 &- (a >> 7)))
                    b >>= 1
                }
                accumulator = product | 1
            }
        }
        if accumulator == 0 { print("") }  // keeps the loop from being optimised away
        return seconds / Double(iterations)
    }

    // MARK: Primitive counts (RFC 8554)

    static func blocks(_ bytes: Int) -> Double { Double((bytes + 9 + 63) / 64) }

    /// Q = H(I || q || D_MESG || C || message).
    static func messageHashBlocks(_ messageLength: Int) -> Double { blocks(16 + 4 + 2 + 32 + messageLength) }

    static func keygenBlocks(_ lms: LMSParameters, _ ots: LMOTSParameters) -> Double {
        let p = ots.signatureLength / 32 - 1
        let perLeaf = Double(p) + Double(p * ((1 << ots.winternitz) - 1)) + blocks(22 + 32 * p) + blocks(22 + 32)
        return Double(lms.leafCount) * perLeaf + Double(lms.leafCount - 1) * blocks(22 + 64)
    }

    static func verifyBlocks(_ lms: LMSParameters, _ ots: LMOTSParameters, messageLength: Int, signSteps: Double, chainTotal: Double)
        -> Double
    {
        let p = ots.signatureLength / 32 - 1
        return messageHashBlocks(messageLength) + (chainTotal - signSteps) + blocks(22 + 32 * p) + blocks(22 + 32)
            + Double(lms.height) * blocks(22 + 64)
    }

    /// The exact number of chain steps signing took: the sum of the digits of Q || Cksm(Q) (RFC 8554 §4.4).
    static func signChainSteps(_ signature: LMSSignature, message: [UInt8], identifier: [UInt8]) -> Int {
        let bytes = signature.bytes
        let randomizer = Array(bytes[8..<40])
        var header = identifier
        header += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: signature.leaf >> $0) }
        header += [0x81, 0x81]
        let q = Array(SHA256.hash(data: header + randomizer + message))
        let ots = signature.otsSignature.parameters
        let w = ots.winternitz
        let maximum = (1 << w) - 1
        func digit(_ data: [UInt8], _ index: Int) -> Int { (Int(data[index * w / 8]) >> (8 - (w * (index % (8 / w)) + w))) & maximum }
        let shift = [1: 7, 2: 6, 4: 4, 8: 0][w]!
        let sum = (0..<(256 / w)).reduce(0) { $0 + maximum - digit(q, $1) }
        let checksum = UInt16(truncatingIfNeeded: sum << shift)
        let extended = q + [UInt8(checksum >> 8), UInt8(truncatingIfNeeded: checksum)]
        let p = ots.signatureLength / 32 - 1
        return (0..<p).reduce(0) { $0 + digit(extended, $1) }
    }

    // MARK: Timing and output

    static func time(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    static func format(microseconds: Double) -> String {
        microseconds >= 10_000 ? String(format: "%.1f ms", microseconds / 1000) : String(format: "%.1f µs", microseconds)
    }

    static func table(_ report: Report) -> String {
        var lines = [
            String(
                format: "raw SHA-256 (55 B, one block): %.1f ns; raw GF(256) multiply: %.2f ns; %d cores",
                report.sha256BlockNanoseconds, report.gf256MultiplyNanoseconds, report.cores),
            "operation".padding(toLength: 36, withPad: " ", startingAt: 0)
                + "      time/op   primitive calls   raw time/op   ratio   target",
        ]
        for row in report.rows {
            let target = row.target.map { "\($0) " + (row.meetsTarget == true ? "met" : "MISSED") } ?? ""
            lines.append(
                row.operation.padding(toLength: 36, withPad: " ", startingAt: 0)
                    + format(microseconds: row.microsecondsPerOp).rightAligned(13)
                    + String(format: "%.0f", row.primitiveCallsPerOp).rightAligned(18)
                    + format(microseconds: row.rawMicrosecondsPerOp).rightAligned(14)
                    + String(format: "%.2f", row.overheadRatio).rightAligned(8) + "   " + target)
        }
        return lines.joined(separator: "\n")
    }
}

extension String {
    fileprivate func rightAligned(_ width: Int) -> String { String(repeating: " ", count: max(1, width - count)) + self }
}
