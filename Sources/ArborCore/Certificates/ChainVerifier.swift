/// Verifies a certificate chain against trusted roots, a revocation list and a time.
///
/// A chain verifies when: its first certificate is a root certificate, self-signed, whose key is a
/// trust anchor; each later certificate is signed (both algorithms) by the one before it, which is
/// either its parent holding the `certify` usage or the same node one epoch earlier (self-rekey);
/// every certificate is valid at the given time; no key in it is revoked by an ancestor that
/// also stands in the chain (a `key-compromise` revocation covers every epoch of the revoked
/// node's branch); and the chain is within the caller's `TrustScope`. Revoking a key therefore
/// breaks the chains of everything below it.
public struct ChainVerifier: Sendable {
    public let anchors: [KeyID: TrustAnchor]
    public let revocations: RevocationList
    public let scope: TrustScope

    public init(anchors: [TrustAnchor], revocations: RevocationList = RevocationList(), scope: TrustScope = .any) {
        self.anchors = Dictionary(anchors.map { ($0.keyID, $0) }, uniquingKeysWith: { first, _ in first })
        self.revocations = revocations
        self.scope = scope
    }

    /// The outcome of a successful verification.
    public struct VerifiedChain: Sendable {
        public let chain: CertificateChain
        public let anchor: TrustAnchor
        public var leaf: KeyCertificate { chain.leaf }
        /// The cluster the chain belongs to, as its trust anchor names it.
        public var cluster: String { anchor.name }
    }

    /// - Parameter time: Unix seconds; the caller reads the clock.
    public func verify(_ chain: CertificateChain, at time: Int64) throws -> VerifiedChain {
        let root = chain.root
        guard root.kind == .root, root.path.isRoot, root.isSigned(by: root.publicKeys) else {
            throw ArborError(.invalidSignature, "the chain does not start with a valid self-signed root certificate")
        }
        guard let anchor = anchors[root.keyID] else {
            throw ArborError(
                .untrustedRoot,
                "the chain's root \(root.keyID.shortHex) is not trusted here; import its cluster's trust bundle with 'arbor trust import' after checking its safety number"
            )
        }
        try checkValidity(root, at: time)
        for index in chain.certificates.indices.dropFirst() {
            let issuer = chain.certificates[index - 1]
            let subject = chain.certificates[index]
            try checkLink(subject, issuedBy: issuer)
            try checkValidity(subject, at: time)
            try checkRevocation(of: subject, ancestors: chain.certificates[..<index])
        }
        try scope.check(chain.leaf, anchor: anchor)
        return VerifiedChain(chain: chain, anchor: anchor)
    }

    private func checkLink(_ subject: KeyCertificate, issuedBy issuer: KeyCertificate) throws {
        guard subject.issuerKeyID == issuer.keyID else {
            throw ArborError(
                .wrongIssuer, "the certificate of \(subject.path) was not issued by the certificate before it (\(issuer.path))")
        }
        switch subject.kind {
        case .root:
            throw ArborError(.wrongIssuer, "a root certificate appears inside the chain at \(subject.path)")
        case .issuedByParent:
            guard subject.path.parent == issuer.path else {
                throw ArborError(.wrongIssuer, "\(issuer.path) is not the parent of \(subject.path)")
            }
            guard issuer.usage.contains(.certify) else {
                throw ArborError(.usageNotAllowed, "\(issuer.path) may not certify other keys")
            }
        case .selfRekey:
            guard subject.path == issuer.path, issuer.epoch < UInt32.max, subject.epoch == issuer.epoch + 1 else {
                throw ArborError(
                    .invalidRekey,
                    "the rekey of \(subject.path) to epoch \(subject.epoch) does not follow epoch \(issuer.epoch) of the same node")
            }
            guard issuer.usage.isSuperset(of: subject.usage) else {
                throw ArborError(.usageNotAllowed, "the rekey of \(subject.path) claims usages its previous key did not have")
            }
        }
        guard subject.isSigned(by: issuer.publicKeys) else {
            throw ArborError(.invalidSignature, "the certificate of \(subject.path) has an invalid signature")
        }
    }

    private func checkValidity(_ certificate: KeyCertificate, at time: Int64) throws {
        if time < certificate.validity.notBefore {
            throw ArborError(
                .certificateNotYetValid,
                "the certificate of \(certificate.path) is not valid before \(Timestamp.format(certificate.validity.notBefore)); check the clock"
            )
        }
        if time > certificate.validity.notAfter {
            throw ArborError(
                .certificateExpired,
                "the certificate of \(certificate.path) expired at \(Timestamp.format(certificate.validity.notAfter)); issue a new one with 'arbor cert issue'"
            )
        }
    }

    private func checkRevocation(of subject: KeyCertificate, ancestors: ArraySlice<KeyCertificate>) throws {
        for revocation in revocations.revocations(covering: subject) {
            let byAncestor = ancestors.contains { ancestor in
                ancestor.keyID == revocation.revokerKeyID && ancestor.path.isStrictAncestor(of: subject.path)
                    && ancestor.usage.contains(.certify)
            }
            if byAncestor {
                let what =
                    revocation.revokedKeyID == subject.keyID
                    ? "the key of \(subject.path) (\(subject.keyID.shortHex))"
                    : "every epoch of \(subject.path), including this one (epoch \(subject.epoch), key \(subject.keyID.shortHex)),"
                throw ArborError(
                    .revoked,
                    "\(what) was revoked by \(revocation.revokerPath) at \(Timestamp.format(revocation.time)): \(revocation.reason)"
                )
            }
        }
    }
}
