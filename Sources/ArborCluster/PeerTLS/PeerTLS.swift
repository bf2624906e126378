import ArborCore
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import Synchronization

/// Mutual TLS 1.3 between the nodes of one cluster (docs/cluster.md, "Channels between nodes"):
/// both sides present a `PeerCertificate` and verify the other's with `PeerVerification` against
/// the trust of the moment, and the channels that verified are kept in `connections` so a
/// revocation closes them (`revocationsChanged`).
///
/// Only TLS 1.3, only the X25519MLKEM768 hybrid key exchange, only Ed25519 signatures: every
/// peer is an Arbor node, so nothing older needs to be spoken.
public final class PeerTLS: Sendable {
    /// The groups offered and accepted: the hybrid alone, so a channel is never classical-only.
    public static let groups: [NIOTLSCurve] = [.x25519_MLKEM768]

    public let trust: any PeerTrustProvider
    public let connections = PeerConnections()
    /// This node, as its chain names it.
    public let identity: PeerIdentity
    private let now: @Sendable () -> Int64
    private let onRefused: @Sendable (ArborError) -> Void
    /// Makes a new credential when the current one is half-way through its life (nil: never).
    private let renew: (@Sendable (Int64) throws -> PeerCredential)?
    private let contexts: Mutex<Contexts>

    private struct Contexts: Sendable {
        let credential: PeerCredential
        let server: NIOSSLContext
        let client: NIOSSLContext
        /// Half-way through the credential's life; past its end when a new one would end no later
        /// (the node's Arbor certificate ends first), so it is not remade at every handshake.
        var renewal: Int64
    }

    /// - Parameters:
    ///   - now: Unix seconds (the handshakes' time; tests pass another clock).
    ///   - onRefused: told why each refused handshake was refused (for the log; never secret).
    public convenience init(
        keys: NodeKeySet, chain: CertificateChain, trust: any PeerTrustProvider,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        onRefused: @escaping @Sendable (ArborError) -> Void = { _ in }
    ) throws {
        try self.init(
            credential: try PeerCredential(keys: keys, chain: chain, at: now()), identity: PeerIdentity(chain: chain), trust: trust,
            now: now, onRefused: onRefused, renew: { try PeerCredential(keys: keys, chain: chain, at: $0) })
    }

    /// A given credential (tests present expired or forged certificates this way), renewed by
    /// `renew` when one is given.
    public init(
        credential: PeerCredential, identity: PeerIdentity, trust: any PeerTrustProvider,
        now: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970) },
        onRefused: @escaping @Sendable (ArborError) -> Void = { _ in },
        renew: (@Sendable (Int64) throws -> PeerCredential)? = nil
    ) throws {
        self.trust = trust
        self.identity = identity
        self.now = now
        self.onRefused = onRefused
        self.renew = renew
        contexts = Mutex(try Self.contexts(for: credential))
    }

    /// TLS 1.3 exactly, the hybrid group, Ed25519, and a certificate required of the client; the
    /// verification itself is `PeerVerification`, run from the handlers' callback.
    public static func serverConfiguration(_ credential: PeerCredential) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try credential.nioCertificate())], privateKey: .privateKey(try credential.nioPrivateKey()))
        restrict(&configuration)
        return configuration
    }

    /// The same, for the side that connects.
    public static func clientConfiguration(_ credential: PeerCredential) throws -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = [.certificate(try credential.nioCertificate())]
        configuration.privateKey = .privateKey(try credential.nioPrivateKey())
        restrict(&configuration)
        return configuration
    }

    private static func restrict(_ configuration: inout TLSConfiguration) {
        configuration.minimumTLSVersion = .tlsv13
        configuration.maximumTLSVersion = .tlsv13
        configuration.curves = groups
        configuration.verifySignatureAlgorithms = [.ed25519]
        configuration.signingSignatureAlgorithms = [.ed25519]
        // Required, and checked by the custom callback only: no system roots, no host names
        // (a peer is named by its path in the tree, not by DNS).
        configuration.certificateVerification = .noHostnameVerification
        configuration.trustRoots = .certificates([])
        // A channel closed (a revoked peer's, say) waits this long at most for the other side's
        // close_notify before the socket goes; swift-nio-ssl's default is 5 s.
        configuration.shutdownTimeout = .seconds(1)
    }

    private static func contexts(for credential: PeerCredential) throws -> Contexts {
        Contexts(
            credential: credential,
            server: try NIOSSLContext(configuration: serverConfiguration(credential)),
            client: try NIOSSLContext(configuration: clientConfiguration(credential)),
            renewal: credential.notBefore + (credential.notAfter - credential.notBefore) / 2)
    }

    /// The contexts with a credential that is not past half its life (renewed here when it is).
    private func currentContexts() throws -> Contexts {
        let time = now()
        var held = contexts.withLock { $0 }
        guard let renew, time >= held.renewal else { return held }
        let credential = try renew(time)
        if credential.notAfter <= held.credential.notAfter {
            held.renewal = held.credential.notAfter + 1
        } else {
            held = try Self.contexts(for: credential)
        }
        contexts.withLock { [held] in $0 = held }
        return held
    }

    /// The credential presented now.
    public var credential: PeerCredential { contexts.withLock { $0.credential } }

    /// The TLS handler of an accepted channel.
    public func makeServerHandler(for channel: any Channel) throws -> NIOSSLServerHandler {
        NIOSSLServerHandler(
            context: try currentContexts().server, customVerificationCallback: verification(of: channel, expectedPath: nil),
            configuration: .init())
    }

    /// The TLS handler of a channel this node opens; `expectedPath` refuses any other node.
    public func makeClientHandler(for channel: any Channel, expectedPath: TreePath?) throws -> NIOSSLClientHandler {
        try NIOSSLClientHandler(
            context: try currentContexts().client, serverHostname: nil,
            customVerificationCallback: verification(of: channel, expectedPath: expectedPath), configuration: .init())
    }

    /// Checks the peer's leaf with the trust of this moment; a verified channel is registered.
    /// The check (ML-DSA signatures along the chain) runs on NIO's blocking thread pool: neither
    /// on the event loop nor on Swift's cooperative pool, which busy tasks can hold for seconds.
    private func verification(of channel: any Channel, expectedPath: TreePath?) -> NIOSSLCustomVerificationCallback {
        { [trust, now, connections, onRefused] certificates, promise in
            let leaf = certificates.first.map { try? $0.toDERBytes() } ?? nil
            let outcome = NIOThreadPool.singleton.runIfActive(eventLoop: promise.futureResult.eventLoop) {
                () -> NIOSSLVerificationResult in
                do {
                    guard let leaf else { throw ArborError(.malformedInput, "the peer presented no certificate that encodes") }
                    let checked = trust.currentTrust()
                    let identity = try PeerVerification.verify(certificate: leaf, trust: checked, at: now(), expectedPath: expectedPath)
                    connections.register(channel, identity: identity)
                    // A revocation that arrived between the check and the registration found no
                    // channel to close: check again against it.
                    let current = trust.currentTrust()
                    if current.revocations != checked.revocations, !PeerVerification.stillTrusted(identity, trust: current, at: now()) {
                        connections.forget(channel)
                        throw ArborError(.revoked, "\(identity.path) was revoked during its handshake")
                    }
                    return .certificateVerified
                } catch {
                    onRefused(error as? ArborError ?? ArborError(.malformedInput, "the peer's certificate does not parse"))
                    return .failed
                }
            }
            promise.completeWith(outcome.recover { _ in .failed })
        }
    }

    /// Closes the channels of peers the trust no longer accepts; call it when the revocations changed.
    @discardableResult
    public func revocationsChanged() -> [PeerIdentity] {
        connections.closeUntrusted(trust: trust.currentTrust(), at: now())
    }
}
