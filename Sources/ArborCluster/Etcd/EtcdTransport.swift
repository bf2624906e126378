import ArborCore
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// Posts JSON to etcd's gateway, trying the endpoints in turn: a call starts at the endpoint that
/// answered last and moves to the next one only when a connection cannot be made, so a request
/// that reached a server is never sent twice.
final class EtcdTransport: Sendable {
    let endpoints: [String]
    private let httpClient: HTTPClient
    private let requestTimeout: TimeAmount
    private let preferred = Mutex(0)

    /// Unary answers are small (a range over a prefix of the cluster's records at most).
    private static let maximumResponseBytes = 64 << 20

    init(endpoints: [String], httpClient: HTTPClient, requestTimeout: TimeAmount) throws {
        guard !endpoints.isEmpty else { throw ArborError(.invalidArgument, "an etcd client needs at least one endpoint") }
        for endpoint in endpoints where !(endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://")) {
            throw ArborError(.invalidArgument, "etcd endpoint \(endpoint) is not an http:// or https:// URL")
        }
        self.endpoints = endpoints.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.httpClient = httpClient
        self.requestTimeout = requestTimeout
    }

    /// A unary call: the whole answer, decoded.
    func call<Response: Decodable>(_ path: String, _ request: some Encodable, as _: Response.Type) async throws -> Response {
        let (endpoint, response) = try await send(path, request, deadline: .now() + requestTimeout)
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: Self.maximumResponseBytes)
        } catch {
            try Task.checkCancellation()
            throw EtcdErrors.transport(endpoint, path, error)
        }
        let data = Data(body.readableBytesView)
        guard response.status == .ok else {
            let detail = try? JSONDecoder().decode(EtcdGateway.ErrorBody.self, from: data)
            throw EtcdErrors.status(endpoint, path, response.status.code, detail?.message ?? detail?.error)
        }
        do {
            return try JSONDecoder().decode(Response.self, from: data)
        } catch {
            throw EtcdErrors.malformed(endpoint, path, error)
        }
    }

    /// A streaming call (watch): the response whose body carries newline-delimited JSON messages,
    /// open until the server ends it or the calling task is cancelled.
    func openStream(_ path: String, _ request: some Encodable) async throws -> (endpoint: String, response: HTTPClientResponse) {
        let (endpoint, response) = try await send(path, request, deadline: .distantFuture)
        guard response.status == .ok else {
            let body = try? await response.body.collect(upTo: 1 << 16)
            let detail = body.flatMap { try? JSONDecoder().decode(EtcdGateway.ErrorBody.self, from: Data($0.readableBytesView)) }
            throw EtcdErrors.status(endpoint, path, response.status.code, detail?.message ?? detail?.error)
        }
        return (endpoint, response)
    }

    private func send(_ path: String, _ request: some Encodable, deadline: NIODeadline) async throws -> (String, HTTPClientResponse) {
        let body = try JSONEncoder().encode(request)
        let start = preferred.withLock { $0 }
        var failures: [ArborError] = []
        for offset in 0..<endpoints.count {
            let index = (start + offset) % endpoints.count
            let endpoint = endpoints[index]
            var httpRequest = HTTPClientRequest(url: endpoint + path)
            httpRequest.method = .POST
            httpRequest.headers.add(name: "Content-Type", value: "application/json")
            httpRequest.body = .bytes(ByteBuffer(bytes: body))
            do {
                let response = try await httpClient.execute(httpRequest, deadline: deadline)
                preferred.withLock { $0 = index }
                return (endpoint, response)
            } catch {
                try Task.checkCancellation()
                guard let failure = Self.connectionFailure(error, endpoint: endpoint) else {
                    throw EtcdErrors.transport(endpoint, path, error)
                }
                failures.append(failure)
            }
        }
        throw EtcdErrors.noEndpointAnswered(failures)
    }

    /// The error of a connection that could not be made (so nothing was sent and the next endpoint
    /// may be tried), or nil for any other failure.
    static func connectionFailure(_ error: any Error, endpoint: String) -> ArborError? {
        switch error {
        case let error as NIOConnectionError:
            let causes = error.connectionErrors.map(\.error) + [error.dnsAError, error.dnsAAAAError].compactMap { $0 }
            if causes.contains(where: isRefusal) { return EtcdErrors.refused(endpoint) }
            return EtcdErrors.unreachable(endpoint, causes.first.map { "\($0)" } ?? "no address to connect to")
        case let error as IOError where isRefusal(error):
            return EtcdErrors.refused(endpoint)
        case let error as HTTPClientError where error == .connectTimeout:
            return EtcdErrors.unreachable(endpoint, "no connection within the connect timeout")
        case ChannelError.connectTimeout:
            return EtcdErrors.unreachable(endpoint, "no connection within the connect timeout")
        default:
            return nil
        }
    }

    private static func isRefusal(_ error: any Error) -> Bool {
        (error as? IOError)?.errnoCode == ECONNREFUSED
    }
}
