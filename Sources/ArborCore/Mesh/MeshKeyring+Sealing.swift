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
    ///   - signer: the origin's keys, to sign the token with its Ed25519 key.
    public func seal(
        _ plaintext: some DataProtocol,
        context: [UInt8] = [],
        origin: TreePath,
        time: Int64,
        signer: NodeKeySet? = nil
    ) throws -> MeshToken {
        try seal(plaintext, context: context, origin: origin, time: time, signer: signer, nonce: randomBytes(Provenance.nonceSize))
    }

    /// `seal` with a given provenance nonce: for test vectors only; a repeated nonce repeats the key.
    func seal(
        _ plaintext: some DataProtocol,
        context: [UInt8],
        origin: TreePath,
        time: Int64,
        signer: NodeKeySet?,
        nonce provenanceNonce: [UInt8]
    ) throws -> MeshToken {
        guard time >= 0, time < 1 << 48 else {
            throw ArborError(.invalidArgument, "the time is outside the token's 48-bit millisecond range")
        }
        if let signer, signer.path != origin {
            throw ArborError(.invalidArgument, "the signer \(signer.path) is not the origin \(origin)")
        }
        let provenance = Provenance(
            keyringID: identifier, epoch: activeEpoch, cipher: cipher, nonce: provenanceNonce, time: time,
            originID: Provenance.originID(of: origin)
        )
        // The header's flags say whether a signature follows, so build it in its final shape.
        let unsigned = MeshToken(provenance: provenance, sealed: [], signature: nil)
        var header = unsigned.header
        if signer != nil { header[1] |= MeshToken.signedFlag }
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
        guard let signer else { return MeshToken(provenance: provenance, sealed: sealed, signature: nil) }
        let message = MeshToken.signedMessage(header: header, sealed: sealed, origin: origin)
        let signature = MeshToken.OriginSignature(origin: origin, bytes: Array(try signer.signing.signature(for: message)))
        return MeshToken(provenance: provenance, sealed: sealed, signature: signature)
    }

    /// What `open` checks about who sealed a token.
    public enum OriginPolicy: Sendable {
        /// Any holder of the keyring may have sealed it; a signature, if present, is not checked.
        case anyHolder
        /// The token must carry a valid signature; the closure returns the Ed25519 key of a signer
        /// path the caller trusts (from a verified certificate chain), or nil to refuse it.
        case requireSignature(@Sendable (TreePath) throws -> Curve25519.Signing.PublicKey?)
    }

    /// Opens a token: checks keyring, epoch, origin signature (when required), then the AEAD.
    /// No plaintext is returned unless everything authenticates.
    public func open(_ token: MeshToken, context: [UInt8] = [], origin policy: OriginPolicy = .anyHolder) throws -> [UInt8] {
        let provenance = token.provenance
        guard provenance.keyringID == identifier else {
            throw ArborError(.wrongKeyring, "this token was sealed with another keyring than '\(name)' of \(owner)")
        }
        guard provenance.cipher == cipher else {
            throw ArborError(.authenticationFailed, "the token names \(provenance.cipher), but keyring '\(name)' uses \(cipher)")
        }
        let seed = try seed(for: provenance.epoch)
        let header = token.header
        if case .requireSignature(let trustedKey) = policy {
            guard let signature = token.signature else {
                throw ArborError(.authenticationFailed, "the token is not signed by its origin, and a signature is required")
            }
            guard Provenance.originID(of: signature.origin) == provenance.originID else {
                throw ArborError(.authenticationFailed, "the token's signer \(signature.origin) is not its recorded origin")
            }
            guard let key = try trustedKey(signature.origin) else {
                throw ArborError(.untrustedRoot, "the token's signer \(signature.origin) is not a trusted node")
            }
            let message = MeshToken.signedMessage(header: header, sealed: token.sealed, origin: signature.origin)
            guard key.isValidSignature(signature.bytes, for: message) else {
                throw ArborError(.authenticationFailed, "the origin signature of the token does not verify: it was altered or forged")
            }
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

    /// Moves a token to the active epoch without handing its plaintext to the caller. The new
    /// token records `origin` (the rewrapping node) and, with `signer`, its signature.
    public func rewrap(
        _ token: MeshToken,
        context: [UInt8] = [],
        origin: TreePath,
        time: Int64,
        signer: NodeKeySet? = nil
    ) throws -> MeshToken {
        var plaintext = try open(token, context: context)
        defer { plaintext.wipe() }
        return try seal(plaintext, context: context, origin: origin, time: time, signer: signer)
    }
}
