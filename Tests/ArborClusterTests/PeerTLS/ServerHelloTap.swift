import NIOCore
import NIOPosix
import Synchronization

/// A TCP proxy in front of a listener that reads the first TLS record the listener sends: its
/// ServerHello, in clear in TLS 1.3 up to the key_share. What it reports is what went on the wire.
final class ServerHelloTap: Sendable {
    struct ServerHello: Sendable, Equatable {
        /// supported_versions (0x002b): 0x0304 for TLS 1.3.
        let version: UInt16?
        /// key_share (0x0033): the group the server chose.
        let group: UInt16?
    }

    private let hellos = Mutex<[ServerHello]>([])
    var seen: [ServerHello] { hellos.withLock { $0 } }

    /// Runs `body` with the proxy's address, forwarding to `target` (`127.0.0.1:port`).
    func run(to target: String, _ body: (String) async throws -> Void) async throws {
        let targetPort = Int(target.split(separator: ":")[1])!
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let port = server.channel.localAddress!.port!
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask {
                try await withThrowingDiscardingTaskGroup { connections in
                    try await server.executeThenClose { inbound in
                        for try await client in inbound {
                            connections.addTask { try? await self.forward(client, to: targetPort) }
                        }
                    }
                }
            }
            try await body("127.0.0.1:\(port)")
            tasks.cancelAll()
        }
    }

    private func forward(_ client: NIOAsyncChannel<ByteBuffer, ByteBuffer>, to port: Int) async throws {
        let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        try await client.executeThenClose { clientIn, clientOut in
            try await upstream.executeThenClose { upIn, upOut in
                try await withThrowingTaskGroup(of: Void.self) { pumps in
                    pumps.addTask {
                        for try await buffer in clientIn { try await upOut.write(buffer) }
                    }
                    pumps.addTask {
                        var first: [UInt8] = []
                        var parsed = false
                        for try await buffer in upIn {
                            if !parsed {
                                first += buffer.readableBytesView
                                if let hello = Self.serverHello(in: first) {
                                    self.hellos.withLock { $0.append(hello) }
                                    parsed = true
                                }
                            }
                            try await clientOut.write(buffer)
                        }
                    }
                    // Either side ending ends the pair.
                    try await pumps.next()
                    pumps.cancelAll()
                }
            }
        }
    }

    /// The ServerHello in the first record, once the record is complete (nil before).
    static func serverHello(in bytes: [UInt8]) -> ServerHello? {
        guard bytes.count >= 5, bytes[0] == 0x16 else { return nil }
        let length = Int(bytes[3]) << 8 | Int(bytes[4])
        guard bytes.count >= 5 + length else { return nil }
        var reader = Array(bytes[5..<(5 + length)])[...]
        func take(_ count: Int) -> ArraySlice<UInt8>? {
            guard reader.count >= count else { return nil }
            defer { reader = reader.dropFirst(count) }
            return reader.prefix(count)
        }
        func u16(_ slice: ArraySlice<UInt8>) -> UInt16 { UInt16(slice[slice.startIndex]) << 8 | UInt16(slice[slice.startIndex + 1]) }
        // handshake type 2 (ServerHello), u24 length, legacy version, random, session id,
        // cipher suite, compression, extensions.
        guard let type = take(1), type.first == 2, take(3) != nil, take(2) != nil, take(32) != nil,
            let sessionLength = take(1), take(Int(sessionLength.first!)) != nil, take(2) != nil, take(1) != nil,
            let extensionsLength = take(2)
        else { return nil }
        var extensions = take(Int(u16(extensionsLength))) ?? []
        var version: UInt16?
        var group: UInt16?
        while extensions.count >= 4 {
            let type = u16(extensions.prefix(2))
            let size = Int(u16(extensions.dropFirst(2).prefix(2)))
            let data = extensions.dropFirst(4).prefix(size)
            if type == 0x002b, data.count >= 2 { version = u16(data) }
            if type == 0x0033, data.count >= 2 { group = u16(data) }
            extensions = extensions.dropFirst(4 + size)
        }
        return ServerHello(version: version, group: group)
    }
}
