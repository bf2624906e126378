import ArborCluster
import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The SIGKILL test of HSSCrashTests across two nodes that hold copies of one HSS key and reserve
/// its leaves through a real etcd (`hss sign --etcd`, docs/cluster.md, "Leaf ranges through etcd"): both sign at once, one
/// of them is killed at a random moment every round and started again. Across every signature
/// that came out, no leaf index appears twice, and every signature verifies.
@Suite("A shared HSS key survives SIGKILL across two nodes", .serialized)
struct HSSSharedKeyCrashTests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    /// An enrolled bottom key (H10, 1024 leaves) copied to two nodes' directories, each node with
    /// its own Arbor identity to sign reservations.
    func makeSharedKey() throws {
        CustodyTest.expectSuccess(
            try arbor.run(["hss", "keygen", "--levels", "2", "--height", "5", "--winternitz", "8", "-o", "cluster.hss"]))
        CustodyTest.expectSuccess(try arbor.makeHSSNode("shared", path: "eu/signer", height: "10", winternitz: "2"))
        CustodyTest.expectSuccess(
            try arbor.run([
                "hss", "enroll", "--key", "cluster.hss", "--request", "shared.request", "--anchor", "root.cert", "-o",
                "shared.delegation",
            ]))
        CustodyTest.expectSuccess(try arbor.run(["hss", "install", "--key", "shared.hss", "--delegation", "shared.delegation"]))
        for node in ["a", "b"] {
            try arbor.makeNodeIdentity("eu/node-\(node)", name: "node-\(node)")
            try FileManager.default.createDirectory(atPath: arbor.path(node), withIntermediateDirectories: true)
            for suffix in ["", ".state", ".tree"] {
                try FileManager.default.copyItem(
                    atPath: arbor.path("shared.hss" + suffix), toPath: arbor.path("\(node)/shared.hss" + suffix))
            }
        }
    }

    func startSigner(_ node: String, etcd: String, count: Int, reserve: Int, output name: String) throws -> Process {
        _ = FileManager.default.createFile(atPath: arbor.path(name), contents: nil)
        let process = Process()
        process.executableURL = arbor.url
        process.arguments = [
            "hss", "sign", "--key", "\(node)/shared.hss", "--count", String(count), "--reserve", String(reserve), "--etcd", etcd,
            "--sign-with", "node-\(node).key", "--chain", "node-\(node).chain",
        ]
        process.currentDirectoryURL = arbor.directory
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: arbor.path(name)))
        _ = FileManager.default.createFile(atPath: arbor.path(name + ".err"), contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: arbor.path(name + ".err")))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    func lineCount(_ name: String) -> Int {
        (FileManager.default.contents(atPath: arbor.path(name)) ?? Data()).reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
    }

    /// Complete lines only: a line cut by the kill was never wholly released.
    func lines(_ name: String) throws -> [String] {
        var lines = try arbor.read(name).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        lines.removeLast()
        return lines
    }

    @Test("two nodes sign with one key through etcd, one killed every round: no leaf twice, every signature verifies")
    func killedAcrossTwoNodes() async throws {
        defer { arbor.remove() }
        try makeSharedKey()
        try await EtcdServer.with { etcd in
            var generator = SplitMix64.seeded(for: "HSS shared key crash test")
            var outputs: [String: [String]] = ["a": [], "b": []]
            var kills = 0
            for round in 0..<12 {
                let victim = round % 2 == 0 ? "a" : "b"
                var processes: [String: Process] = [:]
                for node in ["a", "b"] {
                    let name = "\(node)-\(round).txt"
                    outputs[node]!.append(name)
                    processes[node] = try startSigner(
                        node, etcd: etcd.clientURL, count: 30, reserve: Int.random(in: 1...4, using: &generator), output: name)
                }
                // Kill the victim after a random number of signatures, plus a random delay; the other finishes.
                let target = Int.random(in: 0...12, using: &generator)
                let deadline = Date().addingTimeInterval(30)
                let victimOutput = "\(victim)-\(round).txt"
                while lineCount(victimOutput) < target, processes[victim]!.isRunning, Date() < deadline { usleep(2_000) }
                usleep(UInt32.random(in: 0...20_000, using: &generator))
                if processes[victim]!.isRunning {
                    kill(processes[victim]!.processIdentifier, SIGKILL)
                    kills += 1
                }
                for (node, process) in processes {
                    process.waitUntilExit()
                    if node != victim {
                        let stderr = (try? arbor.read("\(node)-\(round).txt.err")) ?? ""
                        #expect(process.terminationStatus == 0, "round \(round): \(node) failed: \(stderr)")
                    }
                }
            }
            #expect(kills >= 8, "too few signers were killed mid-run to test anything")

            var seen: [UInt32: String] = [:]
            var all: [String] = []
            for node in ["a", "b"] {
                var used: [UInt32] = []
                for name in outputs[node]! {
                    for line in try lines(name) {
                        let fields = line.split(separator: " ")
                        try #require(fields.count == 3, "malformed line: \(line.prefix(80))")
                        let leaf = try HSSCrashTests.bottomLeaf(CustodyTest.bytes(hex: String(fields[2])))
                        #expect(String(leaf) == fields[0])
                        #expect(seen[leaf] == nil, "leaf \(leaf) was used by \(seen[leaf] ?? "") and by \(node)")
                        seen[leaf] = node
                        used.append(leaf)
                        all.append(line)
                    }
                }
                let info = try #require(try arbor.json(try arbor.run(["hss", "info", "\(node)/shared.hss", "--json"])) as? [String: Any])
                let next = try #require(info["nextLeaf"] as? Int)
                #expect(used.allSatisfy { Int($0) < next }, "\(node)'s persisted state must be past every leaf it used")
            }
            #expect(Set(seen.values) == ["a", "b"], "both nodes signed")
            #expect(all.count >= 200, "too few signatures to test anything: \(all.count)")
            try arbor.write(all.joined(separator: "\n") + "\n", to: "batch.txt")
            let verified = try arbor.run(["hss", "verify", "--public-key", "cluster.pub", "--batch", "batch.txt", "--json"])
            CustodyTest.expectSuccess(verified)
            #expect((try arbor.json(verified) as? [String: Any])?["verified"] as? Int == all.count)
            print("shared key: \(all.count) signatures by two nodes, \(kills) SIGKILLs, \(seen.count) distinct leaves")
        }
    }

    @Test("a shared key signs files through etcd; an old counter written back is refused and nothing is signed")
    func rollbackThroughTheCLI() async throws {
        defer { arbor.remove() }
        try makeSharedKey()
        try await EtcdServer.with { server in
            func sign(_ node: String, _ message: String) throws -> ArborExecutable.Outcome {
                try arbor.write("message \(message)\n", to: message)
                return try arbor.run([
                    "hss", "sign", "--key", "\(node)/shared.hss", "--etcd", server.clientURL, "--sign-with", "node-\(node).key",
                    "--chain", "node-\(node).chain", "--reserve", "3", "--json", message,
                ])
            }
            let etcd = try EtcdClient(endpoints: [server.clientURL])
            let first = try sign("a", "m1")
            CustodyTest.expectSuccess(first)
            let signed = try #require(try arbor.json(first) as? [String: Any])
            #expect((signed["signatures"] as? [[String: Any]])?.first?["leaf"] as? Int == 0)
            #expect(FileManager.default.fileExists(atPath: arbor.path("a/shared.hss.leaves")))
            let key = try #require(try await etcd.range(prefix: "arbor/").keyValues.first { $0.key.contains("/leaves/") })
            let second = try sign("b", "m2")
            CustodyTest.expectSuccess(second)
            // b's range starts after a's, which a's exit burned: 0..<3 was a's, so b begins at 3.
            #expect(((try arbor.json(second) as? [String: Any])?["signatures"] as? [[String: Any]])?.first?["leaf"] as? Int == 3)
            CustodyTest.expectSuccess(
                try arbor.run(["hss", "verify", "--public-key", "cluster.pub", "m1", "--signature", "m1.sig"]))

            // Someone with etcd access writes a's old record back: both nodes have seen a later one.
            _ = try await etcd.put(key: key.key, value: key.value)
            for (node, message) in [("a", "m3"), ("b", "m4")] {
                CustodyTest.expectError(try sign(node, message), status: 3, mentioning: "an old value written back")
                #expect(!FileManager.default.fileExists(atPath: arbor.path(message + ".sig")), "\(node) signed after a rollback")
            }
        }
    }

    @Test("--etcd needs --sign-with and --chain")
    func flagsGoTogether() throws {
        defer { arbor.remove() }
        let outcome = try arbor.run(["hss", "sign", "--key", "x.hss", "--etcd", "http://127.0.0.1:1", "--count", "1"])
        CustodyTest.expectError(outcome, status: 2, mentioning: "--etcd, --sign-with and --chain go together")
    }
}
