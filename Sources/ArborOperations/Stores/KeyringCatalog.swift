/// A keyring store that can name every keyring it holds (the node's database), so that the
/// keyrings can be listed.
public protocol KeyringCatalog: KeyringStore {
    /// The reference of every keyring held, in a stable order.
    func references() throws -> [String]
}
