import ArborCluster
import ArborCore
import Foundation
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A fresh cluster for the channel tests, valid around the real clock (the TLS handshakes read it).
struct PeerTestCluster {
    static var now: Int64 { Int64(Date().timeIntervalSince1970) }

    let root = RootKey.generate()
    let certificate: KeyCertificate
    let issuer: Issuer
    let validity: KeyCertificate.Validity

    init() throws {
        let now = Self.now
        validity = try KeyCertificate.Validity(notBefore: now - 86_400, notAfter: now + 86_400)
        certificate = try KeyCertificate.root(try root.node.keySet(), validity: validity)
        issuer = try Issuer(root: root, rootCertificate: certificate)
    }

    var anchor: TrustAnchor { try! TrustAnchor(name: "home", rootCertificate: certificate) }

    /// A node at `path` (its ancestors certified on the way), with its own view of the trust.
    func node(_ path: String, usage: KeyUsage = .all) throws -> PeerTestNode {
        let (secret, chain) = try issuer.certify(TreePath(parsing: path), usage: usage, validity: validity)
        return PeerTestNode(secret: secret, keys: try secret.keySet(), chain: chain, trust: PeerTrustState(PeerTrust(anchor: anchor)))
    }

    /// The issuer of a node's parent, which may revoke it.
    func parentIssuer(of path: String) throws -> Issuer {
        let parent = try TreePath(parsing: path).parent!
        if parent.isRoot { return issuer }
        let (secret, chain) = try issuer.certify(parent, usage: .all, validity: validity)
        return try Issuer(secret: secret, chain: chain)
    }
}

struct PeerTestNode {
    let secret: NodeSecret
    let keys: NodeKeySet
    let chain: CertificateChain
    let trust: PeerTrustState

    var identity: PeerIdentity { PeerIdentity(chain: chain) }

    func tls(onRefused: @escaping @Sendable (ArborError) -> Void = { _ in }) throws -> PeerTLS {
        try PeerTLS(keys: keys, chain: chain, trust: trust, onRefused: onRefused)
    }

    func credential(notBefore: Int64, notAfter: Int64) throws -> PeerCredential {
        PeerCredential(
            certificate: try PeerCertificate.make(keys: keys, chain: chain, notBefore: notBefore, notAfter: notAfter),
            signingKey: keys.signing)
    }
}

/// What a peer listener refused, in order (from `PeerTLS`'s `onRefused`).
final class Refusals: Sendable {
    private let codes = Mutex<[ArborError.Code]>([])
    func record(_ error: ArborError) { codes.withLock { $0.append(error.code) } }
    var all: [ArborError.Code] { codes.withLock { $0 } }
}

/// Runs a peer listener on a free loopback port for `body`, then shuts it down gracefully.
func withPeerListener(_ tls: PeerTLS, _ body: (String) async throws -> Void) async throws {
    var logger = Logger(label: "arbor.peer.test") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = .error
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let application = PeerApplication.make(tls: tls, host: "127.0.0.1", port: 0, logger: logger) { _, port in
        continuation.yield(port)
    }
    let group = ServiceGroup(configuration: .init(services: [application], logger: logger))
    try await withThrowingTaskGroup(of: Void.self) { tasks in
        tasks.addTask { try await group.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw PeerTestError("the peer listener did not start") }
        do {
            try await body("127.0.0.1:\(port)")
        } catch {
            await group.triggerGracefulShutdown()
            throw error
        }
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
    }
}

struct PeerTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
