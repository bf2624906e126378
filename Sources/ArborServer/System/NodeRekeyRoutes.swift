import ArborCore
import ArborOperations
import Hummingbird

/// `POST /v1/sys/rekey`: the node moves to its next epoch (a self-rekey: the new keys certified by
/// the current ones, docs/keys.md §13), and answers 202 with the new key before it restarts its
/// services on it; once back it announces its new chain to the cluster, where peers accept it as
/// they verify any chain. Needs `node.rekey`. The new certificate is valid as long as the current one.
struct NodeRekeyRoutes: NodeRoutes {
    let tokens: TokenService
    let owner: NodeSecret
    let identity: NodeSigningIdentity?
    let replacement: NodeKeyReplacement?
    let cluster: (any ClusterViewSource)?
    let clock: NodeClock

    struct Moved: ResponseEncodable {
        let path: String
        let epoch: UInt32
        let keyID: String
        let status = "restarting"

        enum CodingKeys: String, CodingKey {
            case path, epoch, status
            case keyID = "key_id"
        }
    }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.post("sys/rekey") { _, context -> EditedResponse<Moved> in
            try tokens.authorize(try context.requireToken(), .nodeRekey, keyring: nil, logger: context.logger)
            guard let identity, let replacement else {
                throw NodeError(.unavailable, "this node cannot move to a new key while it runs: it was started without its data directory")
            }
            // A move ordered through the cluster is sealed to the current key: carry that out first.
            if cluster?.hasPendingRekey == true {
                throw NodeError(.conflict, "a rekey ordered through the cluster is pending for this node; ask again once it has moved")
            }
            let leaf = identity.chain.leaf
            let now = clock.now()
            let validity = try KeyCertificate.Validity(
                notBefore: now - 300, notAfter: now + max(leaf.validity.notAfter - leaf.validity.notBefore, 3600))
            let next = try SelfRekey.advance(owner, chain: identity.chain, validity: validity)
            guard replacement.request(next.secret, chain: next.chain, reason: "self-rekey asked through the API") else {
                throw NodeError(.conflict, "the node is already moving to a new key; ask again once it is back")
            }
            let moved = next.chain.leaf
            return EditedResponse(
                status: .accepted, response: Moved(path: moved.path.description, epoch: moved.epoch, keyID: moved.keyID.hex))
        }
    }
}
