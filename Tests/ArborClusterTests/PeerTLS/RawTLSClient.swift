import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// A TLS client outside `PeerClient`, for what an Arbor node would never send: no certificate,
/// TLS 1.2, classical key exchange. It accepts any server certificate, sends one request and
/// returns what came back ("" when the channel failed or closed without an answer).
enum RawTLSClient {
    static func get(_ path: String, at address: String, configuration: TLSConfiguration) async -> String {
        do {
            let context = try NIOSSLContext(configuration: configuration)
            let parts = address.split(separator: ":")
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: String(parts[0]), port: Int(parts[1])!) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(
                                context: context, serverHostname: nil,
                                customVerificationCallback: { _, promise in promise.succeed(.certificateVerified) }))
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: peer\r\nConnection: close\r\n\r\n"))
                var received = ""
                do {
                    for try await buffer in inbound { received += String(buffer: buffer) }
                } catch {
                    // An alert or a reset after a partial answer: what arrived is the answer.
                }
                return received
            }
        } catch {
            return ""
        }
    }
}
