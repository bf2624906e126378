import HummingbirdCore
import Logging
import NIOCore
import NIOSSL

/// Hummingbird's child channel with the peer TLS in front: each accepted connection gets its own
/// handler, whose verification callback knows the channel (to register the verified peer).
struct PeerTLSChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = Base.Value

    let base: Base
    let tls: PeerTLS

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(try tls.makeServerHandler(for: channel))
        }.flatMap {
            base.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Base.Value, logger: Logger) async {
        await base.handle(value: value, logger: logger)
    }
}
