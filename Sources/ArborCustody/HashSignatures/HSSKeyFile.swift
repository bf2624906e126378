import ArborCore
import Crypto

/// An HSS signing key as Arbor stores it (`docs/custody-formats.md` §3.6): one LMS private key,
/// the level it holds in an HSS key, and the signed links from the top key down to it.
///
/// One file format serves every role of federated HSS:
/// * the **top key** of an L-level HSS key: `levels = L`, no links, and the key is the top key;
/// * a **node key** waiting for enrollment: `levels = 0` (not yet part of any HSS key), no links;
/// * an **enrolled key** at depth d: `levels = L`, d − 1 links. At depth L it signs messages;
///   above that it signs the public keys of the level below (enrollment).
///
/// The leaf state is not in this value (see ``LMSLeafState``): it lives in its own file, so that
/// the key is written once and only the small state file is rewritten at every reservation.
public struct HSSKeyFile: Sendable {
    public static let armorLabel = "ARBOR HSS KEY"
    static let magic = Array("AHSK".utf8)
    static let version: UInt8 = 1

    /// The LMS private key of this level.
    public let key: LMSPrivateKey
    /// The HSS public key this key belongs to; nil until a node key is enrolled.
    public let publicKey: HSSPublicKey?
    /// The links from the top key down to ``key`` (depth − 1 of them).
    public let chain: [HSSSignedPublicKey]

    /// A key that is not yet part of an HSS key (a node key before enrollment).
    public init(unenrolled key: LMSPrivateKey) {
        self.key = key
        publicKey = nil
        chain = []
    }

    /// The top key of an HSS key with `levels` levels.
    public init(top key: LMSPrivateKey, levels: Int) throws {
        try self.init(key: key, publicKey: try HSSPublicKey(levels: levels, topKey: key.publicKey), chain: [])
    }

    /// A key placed in an HSS key by `chain`; every link is verified.
    public init(key: LMSPrivateKey, publicKey: HSSPublicKey, chain: [HSSSignedPublicKey]) throws {
        guard chain.count < publicKey.levels else {
            throw CustodyError(
                .wrongKey,
                "an HSS key of \(publicKey.levels) levels has at most \(publicKey.levels - 1) links above a key, not \(chain.count)")
        }
        var upper = publicKey.topKey
        for (index, link) in chain.enumerated() {
            guard upper.isValidSignature(link.signature, for: link.publicKey.bytes) else {
                throw CustodyError(.wrongKey, "link \(index + 1) is not signed by the level above it")
            }
            upper = link.publicKey
        }
        guard upper == key.publicKey else {
            throw CustodyError(.wrongKey, "the links do not end at this key's LMS public key: the delegation is for another key")
        }
        self.key = key
        self.publicKey = publicKey
        self.chain = chain
    }

    /// Depth of this key in its HSS key: 1 for the top key.
    public var depth: Int { chain.count + 1 }

    /// Whether the key signs messages (it is the bottom level of its HSS key).
    public var signsMessages: Bool { publicKey.map { $0.levels == depth } ?? false }

    /// Whether the key signs the public keys of a level below (enrollment).
    public var delegates: Bool { publicKey.map { $0.levels > depth } ?? false }

    /// The signer for messages; throws unless ``signsMessages``.
    public func signer() throws -> HSSSigner {
        guard let publicKey, signsMessages else {
            throw CustodyError(
                .invalidParameters,
                publicKey == nil
                    ? "this key is not enrolled yet: have the level above sign its request, then install the delegation"
                    : "this key is level \(depth) of \(publicKey?.levels ?? 0): it signs the keys of the level below (enroll), not messages"
            )
        }
        return try HSSSigner(publicKey: publicKey, chain: chain, key: key)
    }

    /// Signs `child` with the next leaf of `reservation` and returns the delegation the child
    /// installs: this key's HSS public key and links, plus the new link.
    public func enroll(_ child: LMSPublicKey, using reservation: LMSLeafReservation) throws -> HSSDelegation {
        guard let publicKey, delegates else {
            throw CustodyError(
                .invalidParameters,
                publicKey == nil
                    ? "this key is not enrolled yet, so it cannot enroll others"
                    : "this key is the bottom level of its HSS key: it signs messages, not keys")
        }
        let link = try key.signPublicKey(child, using: reservation)
        return try HSSDelegation(publicKey: publicKey, chain: chain + [link])
    }

    /// This key placed in the HSS key that `delegation` describes.
    public func installing(_ delegation: HSSDelegation) throws -> HSSKeyFile {
        guard publicKey == nil else {
            throw CustodyError(.invalidParameters, "this key is already enrolled in an HSS key")
        }
        return try HSSKeyFile(key: key, publicKey: delegation.publicKey, chain: delegation.chain)
    }

    // MARK: Encoding

    /// "AHSK" || u8 version || LMS private key (56) || u32 L (0: not enrolled) || [LMS public key (56)
    /// || u32 k || k links] || SHA-256 of everything before.
    public var encoded: [UInt8] {
        var bytes = Self.magic
        bytes.append(Self.version)
        bytes += key.privateKeyBytes
        bytes.appendUInt32(UInt32(publicKey?.levels ?? 0))
        if let publicKey {
            bytes += publicKey.topKey.bytes
            bytes.appendUInt32(UInt32(chain.count))
            for link in chain { bytes += link.bytes }
        }
        return bytes + Array(SHA256.hash(data: bytes))
    }

    /// The armored text written to disk (mode 0600: it holds the SEED).
    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    /// Reads a key file; the LMS key's tree comes from `treeCache` when that checks against the key
    /// (see ``LMSPrivateKey/treeOrigin``), else it is computed, with `progress`.
    public init(armored text: String, treeCache: [UInt8]? = nil, progress: LMSTreeProgress? = nil) throws {
        try self.init(
            encoded: try CustodyArmor.decode(text, label: Self.armorLabel, what: "HSS key file"), treeCache: treeCache,
            progress: progress)
    }

    public init(encoded bytes: [UInt8], treeCache: [UInt8]? = nil, progress: LMSTreeProgress? = nil) throws {
        guard bytes.count >= 4 + 1 + 56 + 4 + 32, Array(bytes[0..<4]) == Self.magic else {
            throw CustodyError(.malformedKeyFile, "this is not an Arbor HSS key file")
        }
        guard bytes[4] == Self.version else {
            throw CustodyError(.malformedKeyFile, "HSS key file version \(bytes[4]) is not supported by this arbor")
        }
        let body = Array(bytes[..<(bytes.count - 32)])
        guard Array(SHA256.hash(data: body)) == Array(bytes[(bytes.count - 32)...]) else {
            throw CustodyError(.malformedKeyFile, "the HSS key file's checksum does not match: it is damaged")
        }
        var reader = ByteReader(Array(body[5...]), context: "the HSS key file")
        guard var privateBytes = try? reader.read(count: 56), let levels = try? reader.readUInt32() else {
            throw CustodyError(.malformedKeyFile, "the HSS key file is truncated")
        }
        defer { privateBytes.wipe() }
        // The public parts first: they name the LMS public key a tree cache must reproduce.
        var top: LMSPublicKey?
        var chain = [HSSSignedPublicKey]()
        if levels != 0 {
            do {
                top = try LMSPublicKey(reading: &reader)
                guard let count = try? reader.readUInt32(), count < 8 else {
                    throw CustodyError(.malformedKeyFile, "the HSS key file's link count is missing or above 7")
                }
                for _ in 0..<count { chain.append(try HSSSignedPublicKey(reading: &reader)) }
            } catch let error as CustodyError where error.code != .malformedKeyFile {
                throw CustodyError(.malformedKeyFile, "the HSS key file is inconsistent: \(error.message)")
            }
        }
        guard reader.isAtEnd else { throw CustodyError(.malformedKeyFile, "the HSS key file has bytes after its end") }
        let key = try LMSPrivateKey(
            privateKeyBytes: privateBytes, treeCache: treeCache, expectedPublicKey: chain.last?.publicKey ?? top, progress: progress)
        guard let top else {
            self.init(unenrolled: key)
            return
        }
        do {
            try self.init(key: key, publicKey: try HSSPublicKey(levels: Int(levels), topKey: top), chain: chain)
        } catch let error as CustodyError where error.code != .malformedKeyFile {
            throw CustodyError(.malformedKeyFile, "the HSS key file is inconsistent: \(error.message)")
        }
    }
}

/// What the level above hands a newly enrolled key (`docs/custody-formats.md` §3.6): the HSS
/// public key and the links from the top key down to the new key.
///
///     u32 L || top LMS public key (56) || u32 k || k × (lms_signature || lms_public_key)
///
/// The first 60 bytes are the RFC 8554 HSS public key; each link is an RFC 8554 signed public key.
/// It holds nothing secret.
public struct HSSDelegation: Hashable, Sendable {
    public let publicKey: HSSPublicKey
    public let chain: [HSSSignedPublicKey]

    /// Checks that each link is signed by the level above it.
    public init(publicKey: HSSPublicKey, chain: [HSSSignedPublicKey]) throws {
        guard !chain.isEmpty, chain.count < publicKey.levels else {
            throw CustodyError(.malformedKeyFile, "a delegation holds 1…\(publicKey.levels - 1) links, not \(chain.count)")
        }
        var upper = publicKey.topKey
        for (index, link) in chain.enumerated() {
            guard upper.isValidSignature(link.signature, for: link.publicKey.bytes) else {
                throw CustodyError(.wrongKey, "link \(index + 1) of the delegation is not signed by the level above it")
            }
            upper = link.publicKey
        }
        self.publicKey = publicKey
        self.chain = chain
    }

    /// The LMS public key the delegation enrolls.
    public var enrolledKey: LMSPublicKey { chain[chain.count - 1].publicKey }

    public var bytes: [UInt8] {
        var bytes = publicKey.bytes
        bytes.appendUInt32(UInt32(chain.count))
        for link in chain { bytes += link.bytes }
        return bytes
    }

    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the HSS key file")
        guard let levels = try? reader.readUInt32() else {
            throw CustodyError(.malformedKeyFile, "the delegation is truncated")
        }
        let top: LMSPublicKey
        var chain = [HSSSignedPublicKey]()
        do {
            top = try LMSPublicKey(reading: &reader)
            guard let count = try? reader.readUInt32(), count < 8 else {
                throw CustodyError(.malformedKeyFile, "the delegation's link count is missing or above 7")
            }
            for _ in 0..<count { chain.append(try HSSSignedPublicKey(reading: &reader)) }
        } catch let error as CustodyError where error.code != .malformedKeyFile {
            throw CustodyError(.malformedKeyFile, "the delegation does not parse: \(error.message)")
        }
        guard reader.isAtEnd else { throw CustodyError(.malformedKeyFile, "the delegation has bytes after its end") }
        guard HSSPublicKey.levelRange.contains(Int(levels)) else {
            throw CustodyError(.malformedKeyFile, "the delegation claims \(levels) levels; 1…8 are allowed")
        }
        try self.init(publicKey: try HSSPublicKey(levels: Int(levels), topKey: top), chain: chain)
    }
}
