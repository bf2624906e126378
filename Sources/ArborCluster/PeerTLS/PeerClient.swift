import ArborCore
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Calls other nodes' peer listeners over `PeerTLS`.
///
/// NIO directly rather than async-http-client: the peer check is a verification callback given
/// to the TLS handler of each connection, and async-http-client takes a `TLSConfiguration` only,
/// which cannot carry one (swift-nio-ssl 2.37).
public struct PeerClient: Sendable {
    public let tls: PeerTLS
    private let group: any EventLoopGroup

    public init(tls: PeerTLS, eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.tls = tls
        self.group = eventLoopGroup
    }

    /// Opens a channel to `address` (`host:port`, `[v6]:port`), runs `body` with it, and closes it.
    /// The peer is verified in the handshake (and must be `path` when given), before any request.
    public func withConnection<Result>(
        to address: String, expecting path: TreePath? = nil, _ body: (PeerConnection) async throws -> Result
    ) async throws -> Result {
        let (host, port) = try Self.split(address)
        let tls = tls
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(try tls.makeClientHandler(for: channel, expectedPath: path))
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    return try NIOAsyncChannel<HTTPClientResponsePart, HTTPClientRequestPart>(wrappingChannelSynchronously: channel)
                }
            }
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            let connection = PeerConnection(
                address: address, channel: underlying, responses: inbound.makeAsyncIterator(), requests: outbound, tls: tls)
            return try await body(connection)
        }
    }

    /// `GET /peer/v1/hello` on a fresh channel.
    public func hello(at address: String, expecting path: TreePath? = nil) async throws -> PeerHello {
        try await withConnection(to: address, expecting: path) { try await $0.hello() }
    }

    static func split(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else {
            throw ArborError(.invalidArgument, "a peer address is host:port, not '\(address)'")
        }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw ArborError(.invalidArgument, "a peer address is host:port, not '\(address)'") }
        return (host, port)
    }
}

/// One open channel to a peer: requests one after the other.
public final class PeerConnection {
    public let address: String
    public let channel: any Channel
    private var responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator
    private let requests: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>
    private let tls: PeerTLS

    init(
        address: String, channel: any Channel, responses: NIOAsyncChannelInboundStream<HTTPClientResponsePart>.AsyncIterator,
        requests: NIOAsyncChannelOutboundWriter<HTTPClientRequestPart>, tls: PeerTLS
    ) {
        self.address = address
        self.channel = channel
        self.responses = responses
        self.requests = requests
        self.tls = tls
    }

    /// The peer the handshake verified (nil before it completed, or once a revocation closed it).
    public var peer: PeerIdentity? { tls.connections.identity(of: channel) }

    /// A GET; the status and the body. A refused handshake or a closed channel throws.
    public func get(_ path: String) async throws -> (status: Int, body: [UInt8]) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: address)
        do {
            try await requests.write(.head(HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)))
            try await requests.write(.end(nil))
            var status: Int?
            var body: [UInt8] = []
            while let part = try await responses.next() {
                switch part {
                case .head(let head): status = Int(head.status.code)
                case .body(let buffer): body += buffer.readableBytesView
                case .end:
                    guard let status else { break }
                    return (status, body)
                }
            }
        } catch let error as ArborError {
            throw error
        } catch {
            throw ArborError(.ioFailure, "the channel to the peer at \(address) failed: \(error)")
        }
        throw ArborError(.ioFailure, "the peer at \(address) closed the channel")
    }

    public func hello() async throws -> PeerHello {
        let (status, body) = try await get("/peer/v1/hello")
        guard status == 200 else {
            throw ArborError(.ioFailure, "the peer at \(address) answered \(status): \(String(decoding: body.prefix(512), as: UTF8.self))")
        }
        do {
            return try JSONDecoder().decode(PeerHello.self, from: Data(body))
        } catch {
            throw ArborError(.malformedInput, "the peer at \(address) answered hello with a body that does not parse")
        }
    }
}
