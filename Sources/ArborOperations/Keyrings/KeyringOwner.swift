import ArborCore

extension NodeSecret {
    /// The secret of a keyring's owner at `owner`, derived from this node's (the root's or an
    /// ancestor's); this node itself when no owner is named or it is this node.
    public func keyringOwner(at owner: TreePath?) throws -> NodeSecret {
        guard let owner, owner != path else { return self }
        return try descendant(owner)
    }
}
