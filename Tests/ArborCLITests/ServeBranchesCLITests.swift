import ArborTestSupport
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor serve --etcd --branches N` (issue 11, point 8, in running nodes): the members agree the
/// branch assignment through etcd, each holds its share, and the branches move when a member joins
/// (to the newcomer only) and when one leaves; at every reading the shares add up to N.
@Suite("arbor serve --branches", .serialized)
struct ServeBranchesCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test("branches are shared among running members, rebalanced as one joins and one leaves")
    func branchesFollowTheMembership() async throws {
        defer { arbor.remove() }
        let refused = try arbor.run(["serve", "--dev", "--branches", "8"])
        #expect(refused.status == 2 && refused.stderr.contains("--etcd"), "\(refused.stderr)")
        guard let etcd = try await EtcdServer.startIfInstalled(for: "arbor serve --branches") else { return }
        defer { etcd.stop() }

        try arbor.initRoot()
        let pass = ["--root", "root.key", "--passphrase-file", "pass"]
        let names = ["node-1", "node-2", "node-3"]
        for name in names {
            try #require(try arbor.run(["derive", "eu/\(name)"] + pass + ["-o", "\(name).key"]).status == 0)
            try #require(try arbor.run(["cert", "issue", "eu/\(name)"] + pass + ["-o", "\(name).chain"]).status == 0)
            try #require(try arbor.run(["serve", "init", "--data", name, "--key", "\(name).key", "--chain", "\(name).chain"]).status == 0)
        }
        func start(_ index: Int) throws -> NodeProcess {
            try NodeProcess(
                arbor,
                [
                    "serve", "--data", names[index], "--listen", "127.0.0.1:0", "--advertise", "127.0.0.1:\(9301 + index)", "--etcd",
                    etcd.clientURL, "--branches", "64",
                ], logs: names[index])
        }
        /// Each node's (held, generation), once every node holds a share, at the same generation,
        /// and the shares add up to 64 (with 64 branches, no member's rendezvous share is empty).
        func settled(_ nodes: [NodeProcess], members: Int) async throws -> [(held: Int, generation: Int)] {
            var shares: [(held: Int, generation: Int)] = []
            try await waitFor("\(nodes.count) nodes share the 64 branches") {
                shares = []
                for node in nodes {
                    let cluster = try await node.get("/v1/sys/health").body["cluster"] as? [String: Any]
                    guard cluster?["members"] as? Int == members, let branches = cluster?["branches"] as? [String: Any],
                        let held = branches["held"] as? Int, let generation = branches["generation"] as? Int
                    else { return false }
                    shares.append((held, generation))
                }
                return Set(shares.map(\.generation)).count == 1 && shares.map(\.held).reduce(0, +) == 64
                    && shares.allSatisfy { $0.held > 0 }
            }
            return shares
        }

        var nodes = [try start(0), try start(1)]
        let two = try await settled(nodes, members: 2)

        // A third member joins: it takes its share, only from the others, at a later generation.
        nodes.append(try start(2))
        let three = try await settled(nodes, members: 3)
        #expect(three[0].generation > two[0].generation)
        #expect(three[0].held <= two[0].held && three[1].held <= two[1].held)
        #expect(two[0].held - three[0].held + two[1].held - three[1].held == three[2].held)

        // The first leaves (SIGTERM: it hands its branches back): the two others hold them all.
        nodes[0].signal(SIGTERM)
        #expect(nodes[0].waitForExit().status == 0, "\(nodes[0].stderr)")
        let left = try await settled(Array(nodes[1...]), members: 2)
        #expect(left[0].generation > three[0].generation)
        #expect(left[0].held >= three[1].held && left[1].held >= three[2].held)

        for node in nodes[1...] {
            node.signal(SIGTERM)
            #expect(node.waitForExit().status == 0, "\(node.stderr)")
        }
    }

    private func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            if (try? await condition()) == true { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        Issue.record("not reached within 60 s: \(what)")
        throw ArborExecutable.SetupFailed(description: what)
    }
}
