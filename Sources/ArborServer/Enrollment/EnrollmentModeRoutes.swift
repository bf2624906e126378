import ArborCore
import ArborOperations
import Hummingbird
import NIOCore

/// The only routes of a node in enroll mode, open to anyone: `GET /v1/sys/enroll` shows the
/// one-time recipient and its code, and `POST /v1/sys/enroll` takes the sealed bundle (the age
/// file as the body). No token is needed: the bundle authenticates itself (sealed to the one-time
/// key, signed by the expected parent), and nothing secret is ever answered.
struct EnrollmentModeRoutes: NodeRoutes {
    /// The largest bundle accepted: chains, keyrings and trust bundles of a large cluster.
    static let maximumBundleBytes = 8 << 20

    let directory: EnrollmentDirectory
    let gate: EnrollmentGate

    struct Waiting: ResponseEncodable {
        let status: String
        let recipient: String
        let code: String
        let parent: String
        let cluster: String
    }

    struct Enrolled: ResponseEncodable {
        let status: String
        let node: String
        let keyID: String
        let parent: String
        let keyrings: [String]

        enum CodingKeys: String, CodingKey {
            case status, node, parent, keyrings
            case keyID = "key_id"
        }
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/enroll") { _, _ in
            Waiting(
                status: "waiting", recipient: directory.recipient, code: directory.code, parent: directory.expectation.parent.description,
                cluster: directory.expectation.anchor.keyID.hex)
        }
        group.post("sys/enroll") { request, _ -> Enrolled in
            let limit = Self.maximumBundleBytes
            if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
                throw NodeError(.bodyTooLarge, "an enrollment bundle has at most \(limit) bytes")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: limit)
            } catch is NIOTooManyBytesError {
                throw NodeError(.bodyTooLarge, "an enrollment bundle has at most \(limit) bytes")
            }
            do {
                let node = try await gate.install(Array(buffer.readableBytesView))
                return Enrolled(
                    status: "enrolled", node: node.summary.node, keyID: node.summary.keyID, parent: node.summary.parent,
                    keyrings: node.summary.keyrings)
            } catch let error as ArborError where error.code == .corruptFile {
                // A damaged bundle is the sender's mistake, not the node's storage failing.
                throw NodeError(.invalidRequest, error.message)
            }
        }
    }
}
