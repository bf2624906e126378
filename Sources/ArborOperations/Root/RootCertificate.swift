import ArborCore

extension CertificateChain {
    /// The root certificate, when this chain is that certificate alone: what a root certificate
    /// file must hold for the root to issue (`--anchor`) or for a recovered root to be checked.
    /// - Parameter what: how the file is named in the error, e.g. "'root.cert'".
    public func loneRootCertificate(_ what: String) throws -> KeyCertificate {
        guard certificates.count == 1, root.kind == .root else {
            throw ArborError(.invalidArgument, "\(what) must hold the root certificate alone")
        }
        return root
    }
}
