import ArborCore

/// `HOST:PORT` or `[IPv6]:PORT`, as `--listen` takes it.
struct ListenAddress: Equatable {
    let host: String
    let port: Int

    init(parsing text: String) throws {
        let invalid = ArborError(.invalidArgument, "--listen takes HOST:PORT (127.0.0.1:8200, [::1]:8200; port 0 picks a free one)")
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw invalid
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw invalid }
        self.host = host
        self.port = port
    }
}
