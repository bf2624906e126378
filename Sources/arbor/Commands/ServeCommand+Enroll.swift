import ArborCore
import ArborKeyStore
import ArborServer
import ArgumentParser
import Foundation
import Logging
import Synchronization

/// `arbor serve --enroll`: a new node makes its one-time key, shows the recipient and code, takes
/// its bundle (by --bundle, or pushed to POST /v1/sys/enroll), installs it and then serves.
struct ServeEnrollOptions: ParsableArguments {
    @Flag(
        name: .long,
        help: "Enroll first: make a one-time key, print its recipient and code, and wait for the bundle (docs/cluster.md).")
    var enroll = false

    @Option(name: .anchor, help: ArgumentHelp("With --enroll: the cluster's root certificate (root.cert).", valueName: "file"))
    var anchor: String?

    @Option(
        name: .long, help: ArgumentHelp("With --enroll: the parent's path (or the 64 hex digits of its key id).", valueName: "path"))
    var parent: String?

    @Option(
        name: .long, help: ArgumentHelp("With --enroll: install this bundle instead of waiting for a push.", valueName: "file"))
    var bundle: String?

    func validate() throws {
        if !enroll, anchor != nil || parent != nil || bundle != nil {
            throw ValidationError("--anchor, --parent and --bundle go with --enroll")
        }
    }

    /// Enrolls the node in `data`, and returns the port to serve on (the one enroll mode was given
    /// or, for port 0, bound: the node stays where the parent found it); nil when it was stopped
    /// before a bundle came (then it exits).
    func enroll(data: String, address: ListenAddress, logger: Logger) async throws -> Int? {
        let enrolled: EnrolledNode
        let bound = BoundPort(address.port)
        if let bundle {
            // The one-time key must be there already: a new one could not open a bundle made before it.
            if anchor != nil || parent != nil, EnrollmentDirectory.isWaiting(data) {
                _ = try EnrollmentDirectory.prepare(at: data, anchor: try anchor.map(readChain), parent: parent)
            }
            enrolled = try await installEnrollment(data: data, bundle: bundle)
        } else {
            let directory = try EnrollmentDirectory.prepare(at: data, anchor: try anchor.map(readChain), parent: parent)
            show(EnrollmentWaitingSummary(directory).text)
            let waited = try await EnrollmentMode.run(directory, host: address.host, port: address.port, logger: logger) {
                host, port in
                let url = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
                bound.set(port)
                show(
                    "Listening on \(url)\nWaiting for the bundle on \(url)/v1/sys/enroll (POST the sealed file), or run: arbor serve --enroll --data \(data) --bundle FILE"
                )
            }
            guard let waited else { return nil }
            enrolled = waited
        }
        show(EnrolledSummary(enrolled).text)
        return bound.value
    }
}

extension ListenAddress {
    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }
}

/// Unbuffered, so a supervisor or a test reading the pipe sees it at once.
private func show(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// The port enroll mode listened on, set from the server's start callback.
private final class BoundPort: Sendable {
    private let port: Mutex<Int>
    init(_ port: Int) { self.port = Mutex(port) }
    var value: Int { port.withLock { $0 } }
    func set(_ value: Int) { port.withLock { $0 = value } }
}
