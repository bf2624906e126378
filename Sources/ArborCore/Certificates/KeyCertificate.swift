import Crypto

/// A node's public keys, path, epoch, validity and allowed uses, signed by its issuer with
/// Ed25519 and ML-DSA-65 both. Byte layout in docs/keys.md, "Key certificate".
public struct KeyCertificate: Sendable, Equatable, CustomStringConvertible {
    /// How the issuer relates to the subject.
    public enum Kind: UInt8, Sendable {
        /// The cluster root signs its own public keys: the anchor of every chain.
        case root = 1
        /// The parent node certifies a child (first issue, or a parent-ordered rekey to a new branch).
        case issuedByParent = 2
        /// The node, at its previous epoch, certifies its next epoch (self-rekey).
        case selfRekey = 3
    }

    public struct Validity: Sendable, Equatable {
        /// Unix seconds, inclusive.
        public let notBefore: Int64
        public let notAfter: Int64

        public init(notBefore: Int64, notAfter: Int64) throws {
            guard notBefore <= notAfter else {
                throw ArborError(.invalidArgument, "a certificate's validity must end after it starts")
            }
            self.notBefore = notBefore
            self.notAfter = notAfter
        }

        public func contains(_ time: Int64) -> Bool { notBefore <= time && time <= notAfter }
    }

    static let magic = Array("ARBC".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/certificate"

    public let kind: Kind
    public let path: TreePath
    public let epoch: UInt32
    public let usage: KeyUsage
    public let validity: Validity
    public let issuerKeyID: KeyID
    public let publicKeys: PublicKeySet
    private(set) var signature: HybridSignature

    public var keyID: KeyID { publicKeys.keyID }

    /// The signed part: magic, version, kind, path, epoch, usage, validity, issuer, public keys.
    var toBeSigned: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(kind.rawValue)
        path.encode(into: &writer)
        writer.append(epoch)
        writer.append(usage.rawValue)
        writer.append(validity.notBefore)
        writer.append(validity.notAfter)
        writer.append(raw: issuerKeyID.bytes)
        writer.append(raw: publicKeys.encoded)
        return writer.bytes
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: toBeSigned)
        signature.encode(into: &writer)
        return writer.bytes
    }

    /// Signs the subject's keys with the issuer's: both signatures over the same to-be-signed bytes.
    static func signed(
        kind: Kind,
        subject: NodeKeySet,
        usage: KeyUsage,
        validity: Validity,
        issuer: NodeKeySet
    ) throws -> KeyCertificate {
        var certificate = KeyCertificate(
            kind: kind, path: subject.path, epoch: subject.epoch, usage: usage, validity: validity,
            issuerKeyID: issuer.keyID, publicKeys: subject.publicKeys, signature: nil
        )
        certificate.signature = try HybridSignature.sign(domain: signatureDomain, body: certificate.toBeSigned, with: issuer)
        return certificate
    }

    private init(
        kind: Kind, path: TreePath, epoch: UInt32, usage: KeyUsage, validity: Validity,
        issuerKeyID: KeyID, publicKeys: PublicKeySet, signature: HybridSignature?
    ) {
        self.kind = kind
        self.path = path
        self.epoch = epoch
        self.usage = usage
        self.validity = validity
        self.issuerKeyID = issuerKeyID
        self.publicKeys = publicKeys
        self.signature = signature ?? HybridSignature(ed25519: [], mlDSA65: [])
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a key certificate")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "key certificate")
        guard let kind = Kind(rawValue: try reader.readUInt8()) else {
            throw ArborError.malformed("a key certificate has an unknown kind")
        }
        self.kind = kind
        path = try TreePath.decode(from: &reader)
        epoch = try reader.readUInt32()
        usage = KeyUsage(rawValue: try reader.readUInt8())
        guard KeyUsage.all.isSuperset(of: usage), !usage.isEmpty else {
            throw ArborError.malformed("a key certificate has unknown usage bits")
        }
        let notBefore = try reader.readInt64()
        let notAfter = try reader.readInt64()
        do {
            validity = try Validity(notBefore: notBefore, notAfter: notAfter)
        } catch {
            throw ArborError.malformed("a key certificate's validity ends before it starts")
        }
        issuerKeyID = try KeyID(bytes: try reader.read(count: KeyID.size))
        publicKeys = try PublicKeySet(reading: &reader)
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
    }

    /// Checks this certificate's signature against the issuer's public keys.
    public func isSigned(by issuer: PublicKeySet) -> Bool {
        issuer.keyID == issuerKeyID && signature.isValid(domain: Self.signatureDomain, body: toBeSigned, publicKeys: issuer)
    }

    public var description: String {
        "KeyCertificate(\(path), epoch \(epoch), key \(keyID.shortHex), issuer \(issuerKeyID.shortHex))"
    }
}

extension KeyCertificate {
    /// The self-signed certificate of a cluster root.
    public static func root(_ root: NodeKeySet, validity: Validity) throws -> KeyCertificate {
        guard root.path.isRoot else { throw ArborError(.invalidPath, "only the root (path /) has a root certificate") }
        return try signed(kind: .root, subject: root, usage: .all, validity: validity, issuer: root)
    }

    /// A parent certifies its direct child, at any epoch: the parent derives every epoch, so it can
    /// also hand a self-rekeyed node a short chain again.
    public static func issue(
        for child: NodeKeySet,
        by parent: NodeKeySet,
        usage: KeyUsage = .all,
        validity: Validity
    ) throws -> KeyCertificate {
        guard child.path.parent == parent.path else {
            throw ArborError(.wrongIssuer, "\(parent.path) is not the parent of \(child.path); certify each level in turn")
        }
        return try signed(kind: .issuedByParent, subject: child, usage: usage, validity: validity, issuer: parent)
    }

    /// A node at epoch e certifies its own epoch e+1 (self-rekey). The usage cannot grow.
    public static func selfRekey(
        to next: NodeKeySet,
        from current: NodeKeySet,
        currentUsage: KeyUsage,
        validity: Validity
    ) throws -> KeyCertificate {
        guard next.path == current.path, current.epoch < UInt32.max, next.epoch == current.epoch + 1 else {
            throw ArborError(.invalidRekey, "a self-rekey certifies the same node at the next epoch")
        }
        return try signed(kind: .selfRekey, subject: next, usage: currentUsage, validity: validity, issuer: current)
    }
}
