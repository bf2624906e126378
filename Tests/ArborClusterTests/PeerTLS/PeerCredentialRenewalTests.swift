import ArborCluster
import ArborCore
import NIOEmbedded
import Synchronization
import Testing

/// A running node presents a fresh certificate once half of the current one's life has passed,
/// never one that outlives its Arbor certificate, and none at all once that has expired.
@Suite struct PeerCredentialRenewalTests {
    final class TestClock: Sendable {
        private let seconds: Mutex<Int64>
        init(_ seconds: Int64) { self.seconds = Mutex(seconds) }
        var now: Int64 { seconds.withLock { $0 } }
        func set(_ value: Int64) { seconds.withLock { $0 = value } }
    }

    @Test func renewedHalfWayAndNeverBeyondTheArborCertificate() throws {
        let cluster = try PeerTestCluster()
        let start = PeerTestCluster.now
        // An Arbor certificate for ten days, so the day-long peer certificates are not clamped at first.
        let arborEnd = start + 10 * 86_400
        let (secret, chain) = try cluster.issuer.certify(
            TreePath(parsing: "eu/node-1"), usage: .all, validity: try KeyCertificate.Validity(notBefore: start - 60, notAfter: arborEnd))
        let clock = TestClock(start)
        let tls = try PeerTLS(
            keys: try secret.keySet(), chain: chain, trust: PeerTrustState(PeerTrust(anchor: cluster.anchor)), now: { clock.now })
        let first = tls.credential
        #expect(first.notBefore == start - 60)
        #expect(first.notAfter == start + PeerCertificate.lifetime)

        // Before half-way: the same certificate.
        clock.set(start + PeerCertificate.lifetime / 4)
        _ = try tls.makeServerHandler(for: EmbeddedChannel())
        #expect(tls.credential.certificate == first.certificate)

        // Past half-way: a new one, from now, for a day.
        let later = start + PeerCertificate.lifetime / 2 + 60
        clock.set(later)
        _ = try tls.makeServerHandler(for: EmbeddedChannel())
        let second = tls.credential
        #expect(second.certificate != first.certificate)
        #expect(second.notBefore == later - PeerCertificate.backdating)
        #expect(second.notAfter == later + PeerCertificate.lifetime)

        // Near the end of the Arbor certificate: a new one stops with it.
        clock.set(arborEnd - 10)
        _ = try tls.makeClientHandler(for: EmbeddedChannel(), expectedPath: nil)
        let third = tls.credential
        #expect(third.notAfter == arborEnd)
        // A newer one would end no later: it is kept, not remade at every handshake.
        clock.set(arborEnd - 5)
        _ = try tls.makeClientHandler(for: EmbeddedChannel(), expectedPath: nil)
        #expect(tls.credential.certificate == third.certificate)

        // Once the Arbor certificate has expired, the node opens no channel.
        clock.set(arborEnd + 1)
        #expect(throws: ArborError(.certificateExpired, "")) { try tls.makeServerHandler(for: EmbeddedChannel()) }
    }
}
