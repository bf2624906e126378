import ArborCore
import Hummingbird

/// `GET /peer/v1/hello`: who the listener verified the caller to be, and who answers.
public struct PeerHello: Codable, Sendable, Equatable, ResponseEncodable {
    /// The caller's path and key id (64 hex digits), as its verified chain names them.
    public let peer: String
    public let peerKeyID: String
    /// The answering node.
    public let node: String
    public let nodeKeyID: String
    /// The cluster root's key id.
    public let cluster: String

    public init(peer: PeerIdentity, node: PeerIdentity) {
        self.peer = peer.path.description
        peerKeyID = peer.keyID.hex
        self.node = node.path.description
        nodeKeyID = node.keyID.hex
        cluster = node.cluster.hex
    }

    private enum CodingKeys: String, CodingKey {
        case peer, node, cluster
        case peerKeyID = "peer_key_id"
        case nodeKeyID = "node_key_id"
    }
}
