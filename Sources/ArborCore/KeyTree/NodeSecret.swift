import Crypto

/// The secret of one node of the key tree at one epoch: everything the node needs to derive its
/// key set and the secrets of all its descendants.
///
/// The branch secret is what the parent derives and hands to the node; the epoch counts the node's
/// self-rekeys. Children are derived from the branch secret, so a node's self-rekey does not move
/// its subtree. See docs/keys.md.
public struct NodeSecret: Sendable, CustomStringConvertible {
    public let path: TreePath
    public let epoch: UInt32
    let branchSecret: SymmetricKey

    init(path: TreePath, epoch: UInt32, branchSecret: SymmetricKey) {
        self.path = path
        self.epoch = epoch
        self.branchSecret = branchSecret
    }

    /// The root node of a tree. The root key is the root's branch secret.
    public init(root: RootKey) {
        self.init(path: .root, epoch: 0, branchSecret: root.secret)
    }

    /// The secret of a descendant (any depth), at its epoch 0. A child cannot go upward.
    public func descendant(_ target: TreePath) throws -> NodeSecret {
        guard path.isStrictAncestor(of: target) else {
            throw ArborError(.invalidPath, "\(target) is not below \(path); a node derives only its own descendants")
        }
        var secret = branchSecret
        for segment in target.segments.dropFirst(path.depth) {
            secret = KeyDerivation.childSecret(of: secret, segment: segment)
        }
        return NodeSecret(path: target, epoch: 0, branchSecret: secret)
    }

    /// The same node at a later epoch (self-rekey). Epochs only move forward.
    public func atEpoch(_ target: UInt32) throws -> NodeSecret {
        guard target >= epoch else {
            throw ArborError(.invalidRekey, "epoch \(target) is before the current epoch \(epoch); epochs only move forward")
        }
        return NodeSecret(path: path, epoch: target, branchSecret: branchSecret)
    }

    /// The epoch secret: the branch secret ratcheted `epoch` times.
    var epochSecret: SymmetricKey {
        var secret = branchSecret
        var step: UInt32 = 0
        while step < epoch {
            step += 1
            secret = KeyDerivation.nextEpochSecret(of: secret, nextEpoch: step)
        }
        return secret
    }

    public func keySet() throws -> NodeKeySet { try NodeKeySet(secret: self) }

    /// The storage key of this node or a descendant at any epoch: what lets an ancestor open
    /// data a descendant sealed with its storage key, whatever epoch it had reached.
    public func storageKey(of target: TreePath, epoch: UInt32, purpose: String) throws -> SymmetricKey {
        let node = target == path ? NodeSecret(path: path, epoch: 0, branchSecret: branchSecret) : try descendant(target)
        return try node.atEpoch(epoch).keySet().storageKey(purpose: purpose)
    }

    public var description: String { "NodeSecret(\(path), epoch \(epoch), redacted)" }
}
