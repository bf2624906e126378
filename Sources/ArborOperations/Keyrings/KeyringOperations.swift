import ArborCore

/// The keyring use cases the CLI and the server share: create, rotate, retire, show, and the
/// token operations (seal, open, rewrap) over a ``KeyringStore``.
///
/// The caller reads the clock and the key files and passes them in; this type holds the rules.
public struct KeyringOperations<Store: KeyringStore> {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// What `retire` did.
    public struct RetireOutcome: Sendable {
        public let summary: KeyringSummary
        /// False when every epoch below the asked one was already refused: nothing was stored.
        public let retired: Bool
        /// The lowest accepted epoch before the call.
        public let previousMinimum: UInt32
    }

    public func summary(_ reference: String) throws -> KeyringSummary {
        KeyringSummary(try store.load(reference), file: store.location(of: reference))
    }

    /// A new keyring at epoch 1, named by the store after `reference`, whose seeds derive from `owner`.
    public func create(_ reference: String, owner: NodeSecret, cipher: MeshKeyring.Cipher) throws -> KeyringSummary {
        let created = try MeshKeyring.create(name: store.name(for: reference), owner: owner, cipher: cipher)
        try store.create(created, at: reference)
        return KeyringSummary(created, file: store.location(of: reference))
    }

    /// Makes the next epoch active. With `descendToOwner`, a secret above the keyring's owner is
    /// first moved down to it (the caller named no owner path of its own).
    public func rotate(_ reference: String, owner: NodeSecret, descendToOwner: Bool) throws -> KeyringSummary {
        let rotated = try store.update(reference) { keyring in
            var secret = owner
            if descendToOwner, secret.path != keyring.owner { secret = try secret.descendant(keyring.owner) }
            try keyring.rotate(owner: secret)
            return true
        }
        return KeyringSummary(rotated, file: store.location(of: reference))
    }

    /// Retires every epoch below `below`: their seeds are deleted and their tokens refused.
    public func retire(_ reference: String, below: UInt32) throws -> RetireOutcome {
        guard below >= 1 else { throw ArborError(.invalidArgument, "--below must be at least 1: epochs start at 1") }
        var previousMinimum: UInt32 = 0
        let keyring = try store.update(reference) { keyring in
            previousMinimum = keyring.minimumEpoch
            try keyring.retire(below: below)
            return keyring.minimumEpoch != previousMinimum
        }
        return RetireOutcome(
            summary: KeyringSummary(keyring, file: store.location(of: reference)), retired: keyring.minimumEpoch != previousMinimum,
            previousMinimum: previousMinimum)
    }

    /// Seals `plaintext` into a token naming `origin`, signed by `signer` when given.
    public func seal(
        _ reference: String, plaintext: [UInt8], context: [UInt8], origin: TreePath, time: Int64, signer: NodeKeySet? = nil,
        signature: MeshToken.OriginSignature.Kind = .hybrid
    ) throws -> MeshToken {
        try store.load(reference).seal(plaintext, context: context, origin: origin, time: time, signer: signer, signature: signature)
    }

    /// Opens exactly one token given as text. With `replay`, a token already opened within the
    /// guard's window, or dated outside it, is refused, and the guard's memory is durable before
    /// the plaintext is returned.
    public func open(
        _ reference: String, tokenText text: String, context: [UInt8],
        origin policy: @autoclosure () throws -> MeshKeyring.OriginPolicy = .anyHolder, replay: ReplayCheck? = nil
    ) throws -> [UInt8] {
        let keyring = try store.load(reference)
        // ASCII whitespace inside the text means several tokens (any other byte that is not the
        // token alphabet fails the parse below); checked on the bytes, as splitting the String
        // on Unicode whitespace cost a sixth of a decrypt.
        let isSpace = { (byte: UInt8) in byte == 0x20 || (0x09...0x0D).contains(byte) }
        guard !text.utf8.drop(while: isSpace).reversed().drop(while: isSpace).contains(where: isSpace) else {
            throw ArborError(.invalidArgument, "standard input holds more than one token; 'keyring open' takes exactly one")
        }
        let sealed = try MeshToken(text: text)
        var plaintext = try keyring.open(sealed, context: context, origin: try policy())
        do {
            // Only authenticated tokens reach the guard, and it is saved before any plaintext leaves.
            try replay?.admit(sealed.provenance)
        } catch {
            plaintext.wipe()
            throw error
        }
        return plaintext
    }

    /// How a rewrap treats a token's origin.
    public enum RewrapOrigin {
        /// The new token names `origin` (the rewrapping node) and is not signed: the old origin was not checked.
        case replacedBy(TreePath)
        /// The old token's origin signature must verify under `policy`; the new token keeps that
        /// origin, with a rewrap attestation by `attester`.
        case attested(policy: MeshKeyring.OriginPolicy, attester: NodeKeySet)
    }

    /// Moves one token to the active epoch without showing its plaintext.
    public func rewrap(_ tokenText: String, in keyring: MeshKeyring, context: [UInt8], origin: RewrapOrigin, time: Int64) throws
        -> MeshToken
    {
        let old = try MeshToken(text: tokenText)
        switch origin {
        case .replacedBy(let path): return try keyring.rewrap(old, context: context, origin: path, time: time)
        case .attested(let policy, let attester):
            return try keyring.rewrap(old, context: context, verifying: policy, attestedBy: attester, time: time)
        }
    }

    /// Rewraps a batch; each item gets its own result, so one bad token does not fail the others.
    public func rewrapBatch(
        _ reference: String, tokens: [String], context: [UInt8], origin: RewrapOrigin, time: () -> Int64
    ) throws -> [Result<MeshToken, ArborError>] {
        let keyring = try store.load(reference)
        return tokens.map { text in
            Result { try rewrap(text, in: keyring, context: context, origin: origin, time: time()) }.mapError { error in
                error as? ArborError ?? ArborError(.malformedInput, "the token could not be rewrapped")
            }
        }
    }
}

/// A server shares one value across concurrent requests.
extension KeyringOperations: Sendable where Store: Sendable {}
