import Crypto

extension MeshKeyring {
    /// A fresh provenance header (no signature flag) under the active epoch, and a 32-byte key
    /// derived from it for wrapping another key, such as an age file key:
    /// `HKDF-SHA256(IKM = seed(epoch), salt = provenance nonce, info = domain 0x00 ‖ header, L = 32)`.
    public func newWrappingKey(domain: String, origin: TreePath, time: Int64) throws -> (header: [UInt8], key: SymmetricKey) {
        guard time >= 0, time < 1 << 48 else { throw ArborError(.invalidArgument, "the time is outside the 48-bit millisecond range") }
        let provenance = Provenance(
            keyringID: identifier, epoch: activeEpoch, cipher: cipher, nonce: randomBytes(Provenance.nonceSize), time: time,
            originID: Provenance.originID(of: origin))
        let header = MeshToken(provenance: provenance, sealed: [], signature: nil).header
        return (header, Self.wrappingKey(seed: try seed(for: activeEpoch), nonce: provenance.nonce, header: header, domain: domain))
    }

    /// The wrapping key for a provenance header made by `newWrappingKey`. Throws `wrongKeyring`
    /// for another keyring's header, `retiredEpoch` or `unknownEpoch` as `open` does.
    public func wrappingKey(header: [UInt8], domain: String) throws -> SymmetricKey {
        let provenance = try Self.provenance(ofHeader: header)
        guard provenance.keyringID == identifier else {
            throw ArborError(.wrongKeyring, "this was sealed with another keyring than '\(name)' of \(owner)")
        }
        return Self.wrappingKey(seed: try seed(for: provenance.epoch), nonce: provenance.nonce, header: header, domain: domain)
    }

    /// Parses a 40-byte provenance header (an unsigned token's first 40 bytes).
    public static func provenance(ofHeader header: [UInt8]) throws -> Provenance {
        guard header.count == MeshToken.headerSize else {
            throw ArborError.malformed("a provenance header has \(MeshToken.headerSize) bytes")
        }
        let token = try MeshToken(encoded: header + [UInt8](repeating: 0, count: MeshToken.tagSize))
        guard token.signature == nil else { throw ArborError.malformed("a provenance header for key wrapping carries no signature flag") }
        return token.provenance
    }

    private static func wrappingKey(seed: SymmetricKey, nonce: [UInt8], header: [UInt8], domain: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: seed, salt: nonce, info: Array(domain.utf8) + [0] + header, outputByteCount: 32)
    }
}
