import ArborCore
import Foundation
import PostgresNIO

/// A `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL, as
/// `arbor serve --e2ee-database` takes it. TLS is `prefer` by default (a server without TLS is
/// reached in the clear, one with TLS must present a certificate the system trusts); `require`
/// refuses a server without TLS. The password, when given, never appears in a description.
public struct PostgresDatabaseURL: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let user: String
    let password: String?
    public let database: String
    public let tlsMode: String

    public init(_ text: String) throws {
        let usage = "a PostgreSQL URL looks like postgres://user@host:5432/database (optionally ?sslmode=disable, prefer or require)"
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? "") else {
            throw ArborError(.invalidArgument, usage)
        }
        guard let host = components.host, !host.isEmpty, let user = components.user, !user.isEmpty else {
            throw ArborError(.invalidArgument, "\(usage): the user and the host are required")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty, !database.contains("/") else {
            throw ArborError(.invalidArgument, "\(usage): name one database after the host")
        }
        var tlsMode = "prefer"
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode", let value = item.value, ["disable", "prefer", "require"].contains(value) else {
                throw ArborError(.invalidArgument, "\(usage): '\(item.name)' is not understood")
            }
            tlsMode = value
        }
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 5432
        self.user = user.removingPercentEncoding ?? user
        password = components.password.map { $0.removingPercentEncoding ?? $0 }
        self.database = database.removingPercentEncoding ?? database
        self.tlsMode = tlsMode
    }

    public var configuration: PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS =
            switch tlsMode {
            case "disable": .disable
            case "require": .require(.makeClientConfiguration())
            default: .prefer(.makeClientConfiguration())
            }
        return PostgresClient.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }

    /// The URL without its password.
    public var description: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)\(password == nil ? "" : ":…")@\(hostPart):\(port)/\(database)?sslmode=\(tlsMode)"
    }
}
