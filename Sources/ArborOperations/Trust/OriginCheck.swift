import ArborCore

/// How a node that opens tokens treats their origin signatures: a signature by a node it trusts
/// (by path, with that node's keys) must verify, and the token is reported as coming from that
/// node; any other token opens as from an unverified holder of the keyring, unless
/// `requireSigned` refuses it.
public struct OriginCheck: Sendable {
    public let trusted: [TreePath: PublicKeySet]
    public let requireSigned: Bool

    public init(trusted: [TreePath: PublicKeySet], requireSigned: Bool) {
        self.trusted = trusted
        self.requireSigned = requireSigned
    }

    /// Where a token came from: the origin its signature names (nil when unsigned), and whether
    /// that signature verified under a trusted node's keys.
    public struct Outcome: Sendable, Equatable {
        public let path: TreePath?
        public let verified: Bool
    }

    /// The policy to open `token` with, and what a successful open then tells about its origin.
    /// Signed by a trusted node: the signature must verify (a forged one fails the open).
    func policy(for token: MeshToken) throws -> (policy: MeshKeyring.OriginPolicy, outcome: Outcome) {
        let origin = token.signature?.origin
        if let signature = token.signature, trusted[signature.signer] != nil {
            let policy = MeshKeyring.OriginPolicy.requireSignature(minimum: .hybrid) { [trusted] in trusted[$0] }
            return (policy, Outcome(path: origin, verified: true))
        }
        guard !requireSigned else {
            throw ArborError(
                .originNotVerified,
                origin == nil
                    ? "the token is not signed by its origin, and a signed origin is required"
                    : "the token's signer is not a node trusted here, and a verified origin is required")
        }
        return (.anyHolder, Outcome(path: origin, verified: false))
    }
}

/// A token's plaintext with what is known of its origin.
public struct OpenedToken: Sendable {
    public var plaintext: [UInt8]
    public let origin: OriginCheck.Outcome
}

extension KeyringOperations {
    /// Opens one token given as text under `check`, and reports its origin; with `replay`, as ``open(_:tokenText:context:origin:replay:)``.
    public func open(_ reference: String, tokenText text: String, context: [UInt8], check: OriginCheck, replay: ReplayCheck? = nil)
        throws -> OpenedToken
    {
        let (policy, outcome) = try check.policy(for: try MeshToken(text: text))
        let plaintext = try open(reference, tokenText: text, context: context, origin: policy, replay: replay)
        return OpenedToken(plaintext: plaintext, origin: outcome)
    }

    /// Opens each token under `check` (the keyring is read once); an item fails alone.
    public func openEach(
        _ reference: String, _ items: [KeyringBatch.Read<String>], check: OriginCheck, replay: ReplayCheck? = nil
    ) throws -> [Result<OpenedToken, ArborError>] {
        try KeyringBatch.check(count: items.count)
        let keyring = try store.load(reference)
        return KeyringBatch.each(items) { item in
            let token = try MeshToken(text: item.input)
            let (policy, outcome) = try check.policy(for: token)
            var plaintext = try keyring.open(token, context: item.context, origin: policy)
            do {
                try replay?.admit(token.provenance)
            } catch {
                plaintext.wipe()
                throw error
            }
            return OpenedToken(plaintext: plaintext, origin: outcome)
        }
    }
}
