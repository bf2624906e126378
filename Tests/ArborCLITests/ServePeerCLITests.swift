import ArborCluster
import ArborCore
import Foundation
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `arbor serve --peer-address`: the real node opens its mutual-TLS listener next to the API; a
/// node of its cluster gets its hello, a node of another cluster is refused and the reason logged.
@Suite("arbor serve --peer-address", .serialized)
struct ServePeerCLITests {
    let arbor: ArborExecutable

    init() throws { arbor = try ArborExecutable() }

    @Test func aNodeOfTheClusterIsAnsweredAndAStrangerRefused() async throws {
        defer { arbor.remove() }
        _ = try arbor.initializeNodeData()
        for arguments in [
            ["derive", "eu/node-2", "--root", "root.key", "--passphrase-file", "pass", "-o", "node-2.key"],
            ["cert", "issue", "eu/node-2", "--root", "root.key", "--passphrase-file", "pass", "-o", "node-2.chain"],
        ] {
            let outcome = try arbor.run(arguments)
            try #require(outcome.status == 0, "\(arguments[0]): \(outcome.stderr)")
        }
        let node = try NodeProcess(
            arbor, ["serve", "--data", "data", "--listen", "127.0.0.1:0", "--peer-address", "127.0.0.1:0"], logs: "peer-node")
        let address = try Self.peerAddress(printedIn: node.stdoutPath)

        let secret = try NodeKeyFile.decode(SecretBytes(copying: try Data(contentsOf: URL(fileURLWithPath: arbor.path("node-2.key")))))
        let chain = try CertificateChain(armored: try String(contentsOfFile: arbor.path("node-2.chain"), encoding: .utf8))
        let trust = PeerTrustState(PeerTrust(anchor: try TrustAnchor(name: "home", rootCertificate: chain.root)))
        let client = PeerClient(tls: try PeerTLS(keys: try secret.keySet(), chain: chain, trust: trust))
        let hello = try await client.hello(at: address, expecting: try TreePath(parsing: "eu/node-1"))
        #expect(hello.peer == "eu/node-2")
        #expect(hello.node == "eu/node-1")
        #expect(hello.cluster == chain.root.keyID.hex)

        // A node of another cluster (whose client would accept the listener) is refused.
        let stranger = try PeerTestNode.ofAnotherCluster("eu/node-2")
        let strangerClient = PeerClient(
            tls: try PeerTLS(keys: stranger.keys, chain: stranger.chain, trust: trust))
        await #expect(throws: ArborError.self) { try await strangerClient.hello(at: address) }

        node.signal(SIGTERM)
        let ended = node.waitForExit()
        #expect(ended.reason == .exit && ended.status == 0)
        #expect(node.stderr.contains("peer refused at the handshake"))
        #expect(node.stderr.contains("is not trusted here"))
    }

    /// The second line of the banner, `Peers on https://HOST:PORT (…)`.
    static func peerAddress(printedIn path: String) throws -> String {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let printed = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
            if let line = printed.split(separator: "\n").first(where: { $0.hasPrefix("Peers on https://") }),
                let address = line.dropFirst("Peers on https://".count).split(separator: " ").first
            {
                return String(address)
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        throw ArborExecutable.SetupFailed(description: "arbor serve did not print its peer address")
    }
}

/// A node of a fresh cluster, made in memory.
struct PeerTestNode {
    let keys: NodeKeySet
    let chain: CertificateChain

    static func ofAnotherCluster(_ path: String) throws -> PeerTestNode {
        let root = RootKey.generate()
        let now = Int64(Date().timeIntervalSince1970)
        let validity = try KeyCertificate.Validity(notBefore: now - 3600, notAfter: now + 3600)
        let issuer = try Issuer(root: root, rootCertificate: try KeyCertificate.root(try root.node.keySet(), validity: validity))
        let (secret, chain) = try issuer.certify(TreePath(parsing: path), usage: .all, validity: validity)
        return PeerTestNode(keys: try secret.keySet(), chain: chain)
    }
}
