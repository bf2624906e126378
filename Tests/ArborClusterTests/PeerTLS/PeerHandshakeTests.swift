import ArborCluster
import ArborCore
import Crypto
import Foundation
import NIOCore
import NIOSSL
import Testing
import X509

/// Mutual TLS 1.3 between nodes through the real listener and client: who gets through, who is
/// refused at the handshake and why.
@Suite(.serialized)
struct PeerHandshakeTests {
    @Test func twoNodesOfTheClusterSeeEachOther() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let listener = try a.tls()
        let client = PeerClient(tls: try b.tls())
        try await withPeerListener(listener) { address in
            let hello = try await client.hello(at: address, expecting: a.identity.path)
            #expect(hello.peer == "us/node-2")
            #expect(hello.peerKeyID == b.identity.keyID.hex)
            #expect(hello.node == "eu/node-1")
            #expect(hello.nodeKeyID == a.identity.keyID.hex)
            #expect(hello.cluster == cluster.anchor.keyID.hex)
            // The client verified the listener too, and keeps the channel while it is open.
            try await client.withConnection(to: address) { connection in
                _ = try await connection.hello()
                #expect(connection.peer == a.identity)
                #expect(listener.connections.open.map(\.path) == [b.identity.path])
            }
            // An unknown route answers in the error envelope.
            let missing = try await client.withConnection(to: address) { try await $0.get("/peer/v1/nothing") }
            #expect(missing.status == 404)
            #expect(String(decoding: missing.body, as: UTF8.self).contains(#""code":"not_found""#))
        }
    }

    @Test func refusedAtTheHandshake() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let refusals = Refusals()
        let listener = try a.tls(onRefused: refusals.record)
        let now = PeerTestCluster.now
        try await withPeerListener(listener) { address in
            // A node of another cluster (whose client would accept a, so a's refusal is what counts).
            let stranger = try PeerTestCluster().node("us/node-2")
            let strangerTLS = try PeerTLS(
                keys: stranger.keys, chain: stranger.chain, trust: PeerTrustState(PeerTrust(anchor: cluster.anchor)))
            await #expect(throws: ArborError.self) { try await PeerClient(tls: strangerTLS).hello(at: address) }

            // A self-signed X.509 of another key carrying b's chain.
            let forger = Curve25519.Signing.PrivateKey()
            let subject = try PeerCertificate.subject(path: b.identity.path, cluster: cluster.anchor.keyID)
            let forged = try Certificate(
                version: .v3, serialNumber: .init(), publicKey: .init(forger.publicKey),
                notValidBefore: Date(timeIntervalSince1970: TimeInterval(now - 60)),
                notValidAfter: Date(timeIntervalSince1970: TimeInterval(now + 3600)), issuer: subject, subject: subject,
                signatureAlgorithm: .ed25519, extensions: try Certificate.Extensions([PeerCertificate.chainExtension(b.chain)]),
                issuerPrivateKey: .init(forger))
            let forgedTLS = try PeerTLS(
                credential: PeerCredential(certificate: forged, signingKey: forger), identity: b.identity, trust: b.trust)
            await #expect(throws: ArborError.self) { try await PeerClient(tls: forgedTLS).hello(at: address) }

            // b's own certificate, expired.
            let expiredTLS = try PeerTLS(
                credential: try b.credential(notBefore: now - 7200, notAfter: now - 3600), identity: b.identity, trust: b.trust)
            await #expect(throws: ArborError.self) { try await PeerClient(tls: expiredTLS).hello(at: address) }

            // b, once a is told it was revoked.
            let revocation = try cluster.parentIssuer(of: "us/node-2").revoke(
                b.identity.keyID, at: b.identity.path, reason: .keyCompromise, time: now)
            a.trust.update(revocations: RevocationList([revocation]))
            await #expect(throws: ArborError.self) { try await PeerClient(tls: try b.tls()).hello(at: address) }
            #expect(refusals.all == [.untrustedRoot, .notAuthorised, .certificateExpired, .revoked])

            // The listener's check, not a broken client: c is still let in.
            let c = try cluster.node("us/node-3")
            #expect(try await PeerClient(tls: try c.tls()).hello(at: address).peer == "us/node-3")
        }
    }

    @Test func theClientRefusesTheWrongListener() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let refusals = Refusals()
        let client = PeerClient(tls: try b.tls(onRefused: refusals.record))
        try await withPeerListener(try a.tls()) { address in
            await #expect(throws: ArborError.self) { try await client.hello(at: address, expecting: try TreePath(parsing: "eu/node-9")) }
            let revocation = try cluster.parentIssuer(of: "eu/node-1").revoke(
                a.identity.keyID, at: a.identity.path, reason: .superseded, time: PeerTestCluster.now)
            b.trust.update(revocations: RevocationList([revocation]))
            await #expect(throws: ArborError.self) { try await client.hello(at: address) }
            #expect(refusals.all == [.notAuthorised, .revoked])
        }
    }

    /// What no Arbor node sends: the listener refuses it, while the same raw client with a
    /// node's credential gets an answer (so the refusals are the listener's).
    @Test func noCertificateTLS12AndClassicalKeyExchangeAreRefused() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let now = PeerTestCluster.now
        let good = try PeerTLS.clientConfiguration(try b.credential(notBefore: now - 60, notAfter: now + 3600))
        try await withPeerListener(try a.tls()) { address in
            let answer = await RawTLSClient.get("/peer/v1/hello", at: address, configuration: good)
            #expect(answer.hasPrefix("HTTP/1.1 200"))
            #expect(answer.contains(#""peer_key_id":"\#(b.identity.keyID.hex)""#))

            var anonymous = good
            anonymous.certificateChain = []
            anonymous.privateKey = nil
            #expect(await RawTLSClient.get("/peer/v1/hello", at: address, configuration: anonymous) == "")

            var tls12 = good
            tls12.minimumTLSVersion = .tlsv12
            tls12.maximumTLSVersion = .tlsv12
            tls12.curves = nil
            #expect(await RawTLSClient.get("/peer/v1/hello", at: address, configuration: tls12) == "")

            var classical = good
            classical.curves = [.x25519]
            #expect(await RawTLSClient.get("/peer/v1/hello", at: address, configuration: classical) == "")
        }
    }

    @Test func anOpenChannelIsClosedWhenItsPeerIsRevoked() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let c = try cluster.node("us/node-3")
        let listener = try a.tls()
        try await withPeerListener(listener) { address in
            try await PeerClient(tls: try c.tls()).withConnection(to: address) { bystander in
                try await PeerClient(tls: try b.tls()).withConnection(to: address) { connection in
                    #expect(try await connection.hello().peer == "us/node-2")
                    _ = try await bystander.hello()
                    // Nothing changed: nothing is closed.
                    #expect(listener.revocationsChanged().isEmpty)
                    let revocation = try cluster.parentIssuer(of: "us/node-2").revoke(
                        b.identity.keyID, at: b.identity.path, reason: .keyCompromise, time: PeerTestCluster.now)
                    a.trust.update(revocations: RevocationList([revocation]))
                    #expect(listener.revocationsChanged() == [b.identity])
                    try await connection.channel.closeFuture.get()
                    await #expect(throws: ArborError.self) { try await connection.hello() }
                    // The other peer's channel stays open.
                    #expect(try await bystander.hello().peer == "us/node-3")
                }
            }
        }
    }
}
