import ArborCore

/// The errors the etcd client throws, as ArborErrors whose messages name the endpoint and say
/// what happened. They carry keys at most, never values.
enum EtcdErrors {
    static func refused(_ endpoint: String) -> ArborError {
        ArborError(.ioFailure, "etcd at \(endpoint) refused the connection")
    }

    static func unreachable(_ endpoint: String, _ reason: String) -> ArborError {
        ArborError(.ioFailure, "etcd at \(endpoint) could not be reached: \(reason)")
    }

    /// Every endpoint failed to connect: one error naming each.
    static func noEndpointAnswered(_ failures: [ArborError]) -> ArborError {
        if failures.count == 1 { return failures[0] }
        return ArborError(.ioFailure, "no etcd endpoint answered: " + failures.map(\.message).joined(separator: "; "))
    }

    static func transport(_ endpoint: String, _ path: String, _ error: any Error) -> ArborError {
        ArborError(.ioFailure, "etcd at \(endpoint) failed during \(path): \(error)")
    }

    /// A 5xx (no leader, a timeout, a member shutting down) is an I/O failure that may pass; a 4xx
    /// is a request etcd will refuse again, so it is not retried (`EtcdClient.retrying`).
    static func status(_ endpoint: String, _ path: String, _ status: UInt, _ message: String?) -> ArborError {
        let detail = message.map { ": \($0)" } ?? ""
        return ArborError(
            status >= 500 ? .ioFailure : .invalidArgument, "etcd at \(endpoint) answered \(path) with HTTP \(status)\(detail)")
    }

    static func malformed(_ endpoint: String, _ path: String, _ error: any Error) -> ArborError {
        ArborError(.malformedInput, "etcd at \(endpoint) answered \(path) with JSON this client cannot read: \(error)")
    }

    static func streamError(_ endpoint: String, _ path: String, _ message: String) -> ArborError {
        ArborError(.ioFailure, "etcd at \(endpoint) ended \(path) with an error: \(message)")
    }

    /// A watch asked for revisions etcd has compacted away: the caller must read the keys again
    /// and watch from the revision of that read.
    static func compacted(_ endpoint: String, from revision: Int64?, compactRevision: Int64) -> ArborError {
        let asked = revision.map { "from revision \($0)" } ?? ""
        return ArborError(
            .conflict,
            "etcd at \(endpoint) has compacted its history up to revision \(compactRevision), so a watch \(asked) "
                + "cannot replay it: read the keys again and watch from the revision of that read"
        )
    }

    static func watchCanceled(_ endpoint: String, _ reason: String?) -> ArborError {
        ArborError(.ioFailure, "etcd at \(endpoint) canceled the watch: \(reason ?? "no reason given")")
    }
}
