import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The leaf state under fire: a signer killed with SIGKILL at random moments, many times, and
/// two signers running at once. Every signature that came out is parsed; no leaf index may appear
/// twice, and every signature must verify.
@Suite("HSS leaf state survives SIGKILL", .serialized)
struct HSSCrashTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// A federated node key: a 2-level HSS key whose bottom tree (H10, 1024 leaves) is the node's.
    func makeNode() throws {
        CustodyTest.expectSuccess(
            try arbor.run(["hss", "keygen", "--levels", "2", "--height", "5", "--winternitz", "8", "-o", "cluster.hss"]))
        CustodyTest.expectSuccess(try arbor.makeHSSNode("node", path: "eu/node-1", height: "10", winternitz: "2"))
        CustodyTest.expectSuccess(
            try arbor.run([
                "hss", "enroll", "--key", "cluster.hss", "--request", "node.request", "--anchor", "root.cert", "-o", "node.delegation",
            ]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "install", "--key", "node.hss", "--delegation", "node.delegation"]))
    }

    func startSigner(count: Int, reserve: Int, output name: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: arbor.path(name), contents: nil)
        let process = Process()
        process.executableURL = arbor.url
        process.arguments = ["hss", "sign", "--key", "node.hss", "--count", String(count), "--reserve", String(reserve)]
        process.currentDirectoryURL = arbor.directory
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: arbor.path(name)))
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func lineCount(_ name: String) -> Int {
        (FileManager.default.contents(atPath: arbor.path(name)) ?? Data()).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Complete lines only: a line cut by the kill was never wholly released.
    func signatureLines(_ names: [String]) throws -> [String] {
        try names.flatMap { name -> [String] in
            let text = try arbor.read(name)
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            lines.removeLast()  // after the last newline: empty, or a torn line
            return lines
        }
    }

    /// The bottom-level leaf index q, parsed from the RFC 8554 bytes of an HSS signature.
    static func bottomLeaf(_ signature: [UInt8]) throws -> UInt32 {
        func u32(_ offset: Int) throws -> UInt32 {
            guard offset + 4 <= signature.count else { throw CocoaError(.coderReadCorrupt) }
            return signature[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
        }
        let chainCount: [UInt32: Int] = [1: 265, 2: 133, 3: 67, 4: 34]
        let height: [UInt32: Int] = [5: 5, 6: 10, 7: 15, 8: 20, 9: 25]
        var offset = 4
        for _ in 0..<(try u32(0)) {
            let p = try #require(chainCount[try u32(offset + 4)])
            offset += 8 + 32 + 32 * p
            let h = try #require(height[try u32(offset)])
            offset += 4 + 32 * h + 56
        }
        return try u32(offset)
    }

    /// Checks every signature: leaf as printed, parsed from the bytes, unique; all verify.
    func checkSignatures(_ lines: [String]) throws {
        var seen = Set<UInt32>()
        for line in lines {
            let fields = line.split(separator: " ")
            try #require(fields.count == 3, "malformed line: \(line.prefix(80))")
            let leaf = try Self.bottomLeaf(CustodyTest.bytes(hex: String(fields[2])))
            #expect(String(leaf) == fields[0])
            #expect(seen.insert(leaf).inserted, "leaf \(leaf) was used twice")
        }
        try arbor.write(lines.joined(separator: "\n") + "\n", to: "batch.txt")
        let verified = try arbor.run(["hss", "verify", "--public-key", "cluster.pub", "--batch", "batch.txt", "--json"])
        CustodyTest.expectSuccess(verified)
        #expect((try arbor.json(verified) as? [String: Any])?["verified"] as? Int == lines.count)
        let info = try #require(try arbor.json(try arbor.run(["hss", "info", "node.hss", "--json"])) as? [String: Any])
        let next = try #require(info["nextLeaf"] as? Int)
        #expect(seen.allSatisfy { Int($0) < next }, "the persisted state must be past every leaf used")
    }

    @Test("24 SIGKILLs at random moments: no leaf is used twice and every released signature verifies")
    func killedManyTimes() throws {
        defer { arbor.remove() }
        try makeNode()
        var generator = SplitMix64.seeded(for: "HSS crash test")
        var outputs = [String]()
        for round in 0..<24 {
            let name = "run-\(round).txt"
            outputs.append(name)
            let process = try startSigner(count: 100_000, reserve: Int.random(in: 1...4, using: &generator), output: name)
            // Kill after a random number of signatures (0: possibly before the first), plus a random delay.
            let target = Int.random(in: 0...6, using: &generator)
            let deadline = Date().addingTimeInterval(20)
            while lineCount(name) < target, process.isRunning, Date() < deadline { usleep(2_000) }
            usleep(UInt32.random(in: 0...15_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "round \(round): the signer stopped by itself")
        }
        let lines = try signatureLines(outputs)
        #expect(lines.count >= 24, "too few signatures were made before the kills to test anything")
        try checkSignatures(lines)
    }

    @Test("two signers at once on one key never share a leaf")
    func concurrentSigners() throws {
        defer { arbor.remove() }
        try makeNode()
        let first = try startSigner(count: 15, reserve: 3, output: "a.txt")
        let second = try startSigner(count: 15, reserve: 2, output: "b.txt")
        first.waitUntilExit()
        second.waitUntilExit()
        #expect(first.terminationStatus == 0 && second.terminationStatus == 0)
        let lines = try signatureLines(["a.txt", "b.txt"])
        #expect(lines.count == 30)
        try checkSignatures(lines)
    }
}
