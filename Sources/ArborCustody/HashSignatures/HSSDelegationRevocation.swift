import ArborCore

/// A delegation withdrawn by the level that made it, or by any level above it
/// (`docs/custody-formats.md` §3.8). It names the enrolled LMS public key; a verifier given the
/// revocation refuses every signature whose chain passes through that key below the revoker.
///
///     "AHSV" || u8 version = 1 || HSS public key (60) || u32 k || k links (top down to the revoker)
///         || revoked LMS public key (56) || lms_signature by the revoker over M
///     M = "arbor/v1/hss-delegation-revocation" || 0x00 || HSS public key (60) || revoked LMS public key (56)
///
/// M is longer than 56 bytes and starts with ASCII, so it can never be read as a link (an LMS
/// public key, which starts with three zero bytes); only keys above the bottom level sign it,
/// and those sign nothing but links and revocations.
public struct HSSDelegationRevocation: Hashable, Sendable {
    public static let armorLabel = "ARBOR HSS REVOCATION"
    static let magic = Array("AHSV".utf8)
    static let version: UInt8 = 1
    static let domain = Array("arbor/v1/hss-delegation-revocation".utf8) + [0]

    /// The HSS key the revoked delegation belongs to.
    public let publicKey: HSSPublicKey
    /// The links from the top key down to the revoker (empty when the top key revokes).
    public let revokerChain: [HSSSignedPublicKey]
    /// The LMS public key whose delegation is withdrawn.
    public let revokedKey: LMSPublicKey
    /// The revoker's signature over ``message``.
    public let signature: LMSSignature

    /// Checks every link of `revokerChain` and the signature, so a value of this type is authentic.
    init(publicKey: HSSPublicKey, revokerChain: [HSSSignedPublicKey], revokedKey: LMSPublicKey, signature: LMSSignature) throws {
        guard revokerChain.count < publicKey.levels - 1 else {
            throw CustodyError(.wrongKey, "the revoker of an HSS key of \(publicKey.levels) levels is above its bottom level")
        }
        var revoker = publicKey.topKey
        for (index, link) in revokerChain.enumerated() {
            guard revoker.isValidSignature(link.signature, for: link.publicKey.bytes) else {
                throw CustodyError(.wrongKey, "link \(index + 1) of the revocation is not signed by the level above it")
            }
            revoker = link.publicKey
        }
        guard revoker.isValidSignature(signature, for: Self.message(publicKey: publicKey, revokedKey: revokedKey)) else {
            throw CustodyError(.wrongKey, "the revocation is not signed by the key it names as revoker: it is forged")
        }
        self.publicKey = publicKey
        self.revokerChain = revokerChain
        self.revokedKey = revokedKey
        self.signature = signature
    }

    /// The LMS key that signed the revocation.
    public var revoker: LMSPublicKey { revokerChain.last?.publicKey ?? publicKey.topKey }

    static func message(publicKey: HSSPublicKey, revokedKey: LMSPublicKey) -> [UInt8] {
        domain + publicKey.bytes + revokedKey.bytes
    }

    /// Whether this revocation withdraws a link of `signature`: the revoked key is in its chain,
    /// below the revoker, under the same HSS key.
    public func revokes(_ signature: HSSSignature, under key: HSSPublicKey) -> Bool {
        guard key == publicKey else { return false }
        let keys = [key.topKey] + signature.signedPublicKeys.map(\.publicKey)
        guard let revokedIndex = keys.lastIndex(of: revokedKey), let revokerIndex = keys.firstIndex(of: revoker) else { return false }
        return revokerIndex < revokedIndex
    }

    public var bytes: [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        bytes += publicKey.bytes
        bytes.appendUInt32(UInt32(revokerChain.count))
        for link in revokerChain { bytes += link.bytes }
        return bytes + revokedKey.bytes + signature.bytes
    }

    public var armored: String { Armor.encode(bytes, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(bytes: try CustodyArmor.decode(text, label: Self.armorLabel, what: "HSS revocation"))
    }

    /// Parses and authenticates a revocation: a forged one throws `wrongKey`.
    public init(bytes: [UInt8]) throws {
        guard bytes.count >= 5, Array(bytes[0..<4]) == Self.magic else {
            throw CustodyError(.malformedKeyFile, "this is not an Arbor HSS revocation")
        }
        guard bytes[4] == Self.version else {
            throw CustodyError(.malformedKeyFile, "HSS revocation version \(bytes[4]) is not supported by this arbor")
        }
        var reader = ByteReader(Array(bytes[5...]), context: "the revocation")
        let publicKey: HSSPublicKey
        var chain = [HSSSignedPublicKey]()
        let revokedKey: LMSPublicKey
        let signature: LMSSignature
        do {
            guard let levels = try? reader.readUInt32(), HSSPublicKey.levelRange.contains(Int(levels)) else {
                throw CustodyError(.malformedKeyFile, "the revocation's level count is missing or outside 1…8")
            }
            publicKey = try HSSPublicKey(levels: Int(levels), topKey: try LMSPublicKey(reading: &reader))
            guard let count = try? reader.readUInt32(), count < 7 else {
                throw CustodyError(.malformedKeyFile, "the revocation's link count is missing or above 6")
            }
            for _ in 0..<count { chain.append(try HSSSignedPublicKey(reading: &reader)) }
            revokedKey = try LMSPublicKey(reading: &reader)
            signature = try LMSSignature(reading: &reader)
        } catch let error as CustodyError where error.code != .malformedKeyFile {
            throw CustodyError(.malformedKeyFile, "the revocation does not parse: \(error.message)")
        }
        guard reader.isAtEnd else { throw CustodyError(.malformedKeyFile, "the revocation has bytes after its end") }
        try self.init(publicKey: publicKey, revokerChain: chain, revokedKey: revokedKey, signature: signature)
    }
}

extension HSSPublicKey {
    /// Verifies `signature` over `message` and that no link of its chain is withdrawn by one of
    /// `revocations`. An invalid signature throws `wrongKey`, a revoked link `revoked`.
    /// Revocations of other HSS keys do not apply.
    public func verify(_ signature: HSSSignature, for message: [UInt8], revocations: [HSSDelegationRevocation]) throws {
        guard isValidSignature(signature, for: message) else {
            throw CustodyError(.wrongKey, "the signature does not verify under this HSS public key for this message")
        }
        if let revocation = revocations.first(where: { $0.revokes(signature, under: self) }) {
            throw CustodyError(
                .revoked,
                "the signature's chain passes through LMS key I = \(Hex.encode(revocation.revokedKey.identifier)), "
                    + "whose delegation was revoked")
        }
    }
}

extension HSSKeyFile {
    /// Revokes the delegation of `key`, a key enrolled below this one, with the next leaf of
    /// `reservation`. `delegation` is the one that enrolled it, to check that it is below.
    public func revoke(_ delegation: HSSDelegation, using reservation: LMSLeafReservation) throws -> HSSDelegationRevocation {
        guard let publicKey, delegates else {
            throw CustodyError(
                .invalidParameters,
                publicKey == nil ? "this key is not enrolled, so it has no delegations to revoke" : "a bottom-level key enrolls nothing")
        }
        let keys = [publicKey.topKey] + delegation.chain.map(\.publicKey)
        guard delegation.publicKey == publicKey, let mine = keys.firstIndex(of: key.publicKey), mine < keys.count - 1 else {
            throw CustodyError(
                .wrongKey, "the delegation is not below this key: only the level above a key, or a level above that, revokes it")
        }
        let revoked = delegation.enrolledKey
        let signature = try key.sign(HSSDelegationRevocation.message(publicKey: publicKey, revokedKey: revoked), using: reservation)
        return try HSSDelegationRevocation(publicKey: publicKey, revokerChain: chain, revokedKey: revoked, signature: signature)
    }
}
