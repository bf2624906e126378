import Crypto
import Foundation

extension MeshKeyring {
    /// Seals a message under the active epoch. The same plaintext twice gives different tokens.
    ///
    /// - Parameters:
    ///   - context: caller data bound to the message (like AEAD associated data): it is not carried
    ///     in the token, and the same context must be given to `open`.
    ///   - origin: the sealing node's path, recorded as an 8-byte identifier.
    ///   - time: milliseconds since 1970; the caller reads the clock.
    ///   - signer: the origin's keys, to sign the token.
    ///   - kind: `hybrid` (Ed25519 + ML-DSA-65, covering the context; the default) or `ed25519`
    ///     (the first format, for holders that cannot yet verify hybrid signatures).
    public func seal(
        _ plaintext: some DataProtocol,
        context: [UInt8] = [],
        origin: TreePath,
        time: Int64,
        signer: NodeKeySet? = nil,
        signature kind: MeshToken.OriginSignature.Kind = .hybrid
    ) throws -> MeshToken {
        try seal(
            plaintext, context: context, origin: origin, time: time, signing: signer.map { Signing(keys: $0, kind: kind, rewrap: false) },
            nonce: randomBytes(Provenance.nonceSize))
    }

    /// Who signs a token being sealed, and how.
    struct Signing {
        let keys: NodeKeySet
        let kind: MeshToken.OriginSignature.Kind
        /// The signer attests another node's verified origin (`rewrap(_:verifying:attestedBy:)`).
        let rewrap: Bool
    }

    /// `seal` with a given provenance nonce (test vectors only: a repeated nonce repeats the key).
    func seal(
        _ plaintext: some DataProtocol,
        context: [UInt8],
        origin: TreePath,
        time: Int64,
        signing: Signing?,
        nonce provenanceNonce: [UInt8]
    ) throws -> MeshToken {
        guard time >= 0, time < 1 << 48 else {
            throw ArborError(.invalidArgument, "the time is outside the token's 48-bit millisecond range")
        }
        if let signing, !signing.rewrap, signing.keys.path != origin {
            throw ArborError(.invalidArgument, "the signer \(signing.keys.path) is not the origin \(origin)")
        }
        if let signing, signing.rewrap, signing.kind != .hybrid {
            throw ArborError(.invalidArgument, "a rewrap attestation is always a hybrid signature")
        }
        let provenance = Provenance(
            keyringID: identifier, epoch: activeEpoch, cipher: cipher, nonce: provenanceNonce, time: time,
            originID: Provenance.originID(of: origin)
        )
        // The header's flags say whether and how the token is signed, so build it in its final shape.
        let header = MeshToken.header(provenance: provenance, signature: signing.map { ($0.kind, $0.rewrap) })
        let (key, nonce) = provenance.messageKey(seed: try seed(for: activeEpoch), header: header, context: context)
        let sealed: [UInt8]
        switch cipher {
        case .chaCha20Poly1305:
            let box = try ChaChaPoly.seal(plaintext, using: key, nonce: try ChaChaPoly.Nonce(data: nonce), authenticating: header)
            sealed = Array(box.ciphertext) + Array(box.tag)
        case .aes256GCM:
            let box = try AES.GCM.seal(plaintext, using: key, nonce: try AES.GCM.Nonce(data: nonce), authenticating: header)
            sealed = Array(box.ciphertext) + Array(box.tag)
        }
        guard let signing else { return MeshToken(provenance: provenance, sealed: sealed, signature: nil) }
        let signature = try MeshToken.OriginSignature.make(
            kind: signing.kind, origin: origin, signer: signing.keys, rewrap: signing.rewrap, header: header, sealed: sealed,
            context: context)
        return MeshToken(provenance: provenance, sealed: sealed, signature: signature)
    }

    /// What `open` checks about who sealed a token.
    public enum OriginPolicy: Sendable {
        /// Any holder of the keyring may have sealed it; a signature, if present, is not checked.
        case anyHolder
        /// The token must carry a valid signature of at least `minimum` kind. `trustedKeys`
        /// returns the public keys of a path the caller trusts to sign (from a verified
        /// certificate chain with the sign usage), or nil to refuse it. A rewrap attestation
        /// needs both its origin and its signer trusted; the signer's keys verify it.
        case requireSignature(minimum: MeshToken.OriginSignature.Kind, trustedKeys: @Sendable (TreePath) throws -> PublicKeySet?)
    }

    /// Opens a token: checks keyring, cipher, epoch, origin signature (when required), then the
    /// AEAD. No plaintext is returned unless everything authenticates.
    public func open(_ token: MeshToken, context: [UInt8] = [], origin policy: OriginPolicy = .anyHolder) throws -> [UInt8] {
        let provenance = token.provenance
        guard provenance.keyringID == identifier else {
            throw ArborError(.wrongKeyring, "this token was sealed with another keyring than '\(name)' of \(owner)")
        }
        guard provenance.cipher == cipher else {
            throw ArborError(.wrongKeyring, "the token names \(provenance.cipher), but keyring '\(name)' uses \(cipher)")
        }
        // A lookup, never a derivation: an attacker-chosen epoch costs no work (docs/formats.md).
        let seed = try seed(for: provenance.epoch)
        let header = token.header
        if case .requireSignature(let minimum, let trustedKeys) = policy {
            try Self.verifyOrigin(of: token, header: header, context: context, minimum: minimum, trustedKeys: trustedKeys)
        }
        let (key, nonce) = provenance.messageKey(seed: seed, header: header, context: context)
        let ciphertext = token.sealed.dropLast(MeshToken.tagSize)
        let tag = token.sealed.suffix(MeshToken.tagSize)
        do {
            switch cipher {
            case .chaCha20Poly1305:
                let box = try ChaChaPoly.SealedBox(nonce: try ChaChaPoly.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try ChaChaPoly.open(box, using: key, authenticating: header))
            case .aes256GCM:
                let box = try AES.GCM.SealedBox(nonce: try AES.GCM.Nonce(data: nonce), ciphertext: ciphertext, tag: tag)
                return Array(try AES.GCM.open(box, using: key, authenticating: header))
            }
        } catch {
            throw ArborError(
                .authenticationFailed,
                "the token does not authenticate: it was altered, or the context differs from the one it was sealed with")
        }
    }

    private static func verifyOrigin(
        of token: MeshToken, header: [UInt8], context: [UInt8], minimum: MeshToken.OriginSignature.Kind,
        trustedKeys: (TreePath) throws -> PublicKeySet?
    ) throws {
        guard let signature = token.signature else {
            throw ArborError(.originNotVerified, "the token is not signed by its origin, and a signature is required")
        }
        guard signature.kind >= minimum else {
            throw ArborError(
                .originNotVerified, "the token's origin signature is \(signature.kind) only, and a \(minimum) signature is required")
        }
        guard Provenance.originID(of: signature.origin) == token.provenance.originID,
            signature.isRewrapAttestation || signature.signer == signature.origin
        else {
            throw ArborError(.originNotVerified, "the token's signer \(signature.signer) is not its recorded origin")
        }
        if signature.isRewrapAttestation, try trustedKeys(signature.origin) == nil {
            throw ArborError(
                .untrustedRoot, "the token's origin \(signature.origin), attested by \(signature.signer), is not a trusted node")
        }
        guard let keys = try trustedKeys(signature.signer) else {
            throw ArborError(.untrustedRoot, "the token's signer \(signature.signer) is not a trusted node")
        }
        guard signature.isValid(header: header, sealed: token.sealed, context: context, signerKeys: keys) else {
            throw ArborError(
                .originNotVerified,
                "the origin signature of the token does not verify: it was altered or forged, or the context differs")
        }
    }

    /// Moves a token to the active epoch without handing its plaintext to the caller. Its origin is
    /// not checked, so the new token records the rewrapping node as origin and carries no
    /// signature: a node never signs what it could not verify. To keep a signed token's origin,
    /// use `rewrap(_:context:verifying:attestedBy:time:)`.
    public func rewrap(_ token: MeshToken, context: [UInt8] = [], origin: TreePath, time: Int64) throws -> MeshToken {
        var plaintext = try open(token, context: context)
        defer { plaintext.wipe() }
        return try seal(plaintext, context: context, origin: origin, time: time)
    }

    /// Moves a signed token to the active epoch and keeps its verified origin: the token's origin
    /// signature must verify under `policy` (which must require one), and the new token records
    /// the same origin with a hybrid rewrap attestation by `attester` (a plain hybrid signature
    /// when the attester is the origin itself).
    public func rewrap(
        _ token: MeshToken,
        context: [UInt8] = [],
        verifying policy: OriginPolicy,
        attestedBy attester: NodeKeySet,
        time: Int64
    ) throws -> MeshToken {
        guard case .requireSignature = policy else {
            throw ArborError(
                .originNotVerified, "keeping a token's origin needs its origin signature verified; give the trusted signers")
        }
        var plaintext = try open(token, context: context, origin: policy)
        defer { plaintext.wipe() }
        guard let origin = token.signature?.origin else {
            throw ArborError(.originNotVerified, "the token is not signed by its origin")
        }
        let signing = Signing(keys: attester, kind: .hybrid, rewrap: attester.path != origin)
        return try seal(
            plaintext, context: context, origin: origin, time: time, signing: signing, nonce: randomBytes(Provenance.nonceSize))
    }
}
