import Hummingbird
import NIOCore

/// A request on the peer listener: Hummingbird's storage and the channel it came on, whose
/// verified peer `PeerConnections` holds.
public struct PeerRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public let channel: any Channel

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// Peers send small requests; nothing on this listener takes a large body yet.
    public var maxUploadSize: Int { 64 * 1024 }
}
