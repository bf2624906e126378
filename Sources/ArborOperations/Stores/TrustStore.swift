import ArborCore

/// The clusters a verifier trusts: one trust bundle (root certificate, revocations) per cluster
/// (`TrustStoreDirectory` in ArborKeyStore for files).
public protocol TrustStore {
    /// Every trusted cluster's bundle, in a stable order.
    func bundles() throws -> [TrustBundle]
}
