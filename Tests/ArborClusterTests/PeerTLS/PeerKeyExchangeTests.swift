import ArborCluster
import ArborCore
import Testing

/// What two Arbor nodes negotiate, read off the wire: TLS 1.3 with the X25519MLKEM768 hybrid.
@Suite(.serialized)
struct PeerKeyExchangeTests {
    static let x25519MLKEM768: UInt16 = 0x11EC

    @Test func twoNodesAgreeOnTheHybridGroup() async throws {
        let cluster = try PeerTestCluster()
        let a = try cluster.node("eu/node-1")
        let b = try cluster.node("us/node-2")
        let tap = ServerHelloTap()
        try await withPeerListener(try a.tls()) { address in
            try await tap.run(to: address) { proxied in
                let hello = try await PeerClient(tls: try b.tls()).hello(at: proxied)
                #expect(hello.peer == "us/node-2")
            }
        }
        let hellos = tap.seen
        print(
            "peer key exchange: ServerHello \(hellos.map { "version 0x\(String($0.version ?? 0, radix: 16)), group 0x\(String($0.group ?? 0, radix: 16))" })"
        )
        #expect(hellos == [ServerHelloTap.ServerHello(version: 0x0304, group: Self.x25519MLKEM768)])
    }

    @Test func theParserReadsAKnownServerHello() {
        // A ServerHello with supported_versions 0x0304 and key_share group 0x001d (X25519).
        var body: [UInt8] = [0x03, 0x03] + Array(repeating: 0xab, count: 32) + [0x00, 0x13, 0x01, 0x00]
        let extensions: [UInt8] = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04, 0x00, 0x33, 0x00, 0x04, 0x00, 0x1d, 0x00, 0x00]
        body += [0x00, UInt8(extensions.count)] + extensions
        let handshake: [UInt8] = [0x02, 0x00, 0x00, UInt8(body.count)] + body
        let record: [UInt8] = [0x16, 0x03, 0x03, 0x00, UInt8(handshake.count)] + handshake
        #expect(ServerHelloTap.serverHello(in: record) == .init(version: 0x0304, group: 0x001d))
        #expect(ServerHelloTap.serverHello(in: Array(record.dropLast())) == nil)
    }
}
