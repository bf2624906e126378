import ArborCore

extension KeyringOperations where Store: KeyringCatalog {
    /// Every keyring of the store, summarised (never its seeds), in the store's order.
    public func list() throws -> [KeyringSummary] {
        try store.references().map(summary)
    }
}
