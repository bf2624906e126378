/// An ancestor's signed statement that a descendant's key must no longer be trusted.
///
/// It carries the revoker's public keys, so a list can be checked on its own; a chain verifier
/// honours it only when the revoker is a strict ancestor in the chain it verifies.
/// Byte layout in docs/keys.md, "Revocation".
public struct Revocation: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
        case unspecified = 0
        case keyCompromise = 1
        case superseded = 2
        case cessationOfOperation = 3

        public init(parsing text: String) throws {
            guard let reason = Self.allCases.first(where: { $0.description == text }) else {
                throw ArborError(
                    .invalidArgument, "unknown reason '\(text)'; use one of \(Self.allCases.map(\.description).joined(separator: ", "))")
            }
            self = reason
        }

        public var description: String {
            switch self {
            case .unspecified: "unspecified"
            case .keyCompromise: "key-compromise"
            case .superseded: "superseded"
            case .cessationOfOperation: "cessation-of-operation"
            }
        }
    }

    static let magic = Array("ARBV".utf8)
    static let version: UInt8 = 1
    static let signatureDomain = "arbor/v1/revocation"

    public let revokedKeyID: KeyID
    public let revokedPath: TreePath
    public let reason: Reason
    /// Unix seconds at which the revoker signed.
    public let time: Int64
    public let revokerPath: TreePath
    public let revokerKeys: PublicKeySet
    let signature: HybridSignature

    public var revokerKeyID: KeyID { revokerKeys.keyID }

    /// A compromised node's key file holds its branch secret, from which every epoch of the branch
    /// follows; so a `key-compromise` revocation covers the branch (every epoch at exactly the
    /// revoked path, branch numbers included), and any other reason covers the one key.
    public var coversBranch: Bool { reason == .keyCompromise }

    /// Whether this revocation names the certificate's key or, for a compromise, its branch.
    public func covers(_ certificate: KeyCertificate) -> Bool {
        certificate.keyID == revokedKeyID || (coversBranch && certificate.path == revokedPath)
    }

    var toBeSigned: [UInt8] {
        Self.toBeSigned(
            revokedKeyID: revokedKeyID, revokedPath: revokedPath, reason: reason, time: time,
            revokerPath: revokerPath, revokerKeys: revokerKeys)
    }

    private static func toBeSigned(
        revokedKeyID: KeyID, revokedPath: TreePath, reason: Reason, time: Int64,
        revokerPath: TreePath, revokerKeys: PublicKeySet
    ) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: magic)
        writer.append(version)
        writer.append(raw: revokedKeyID.bytes)
        revokedPath.encode(into: &writer)
        writer.append(reason.rawValue)
        writer.append(time)
        revokerPath.encode(into: &writer)
        writer.append(raw: revokerKeys.encoded)
        return writer.bytes
    }

    /// An ancestor revokes the key of a certificate below it.
    public init(revoking certificate: KeyCertificate, by revoker: NodeKeySet, reason: Reason, time: Int64) throws {
        try self.init(revoking: certificate.keyID, at: certificate.path, by: revoker, reason: reason, time: time)
    }

    /// An ancestor revokes a key by its identifier; the path says where it stands in the tree.
    public init(revoking keyID: KeyID, at path: TreePath, by revoker: NodeKeySet, reason: Reason, time: Int64) throws {
        guard revoker.path.isStrictAncestor(of: path) else {
            throw ArborError(.wrongIssuer, "\(revoker.path) is not an ancestor of \(path); only an ancestor may revoke")
        }
        revokedKeyID = keyID
        revokedPath = path
        self.reason = reason
        self.time = time
        revokerPath = revoker.path
        revokerKeys = revoker.publicKeys
        signature = try HybridSignature.sign(
            domain: Self.signatureDomain,
            body: Self.toBeSigned(
                revokedKeyID: revokedKeyID, revokedPath: revokedPath, reason: reason, time: time,
                revokerPath: revokerPath, revokerKeys: revokerKeys),
            with: revoker
        )
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: toBeSigned)
        signature.encode(into: &writer)
        return writer.bytes
    }

    /// Parses and checks the signature against the embedded revoker keys.
    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a revocation")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "revocation")
        revokedKeyID = try KeyID(bytes: try reader.read(count: KeyID.size))
        revokedPath = try TreePath.decode(from: &reader)
        guard let reason = Reason(rawValue: try reader.readUInt8()) else {
            throw ArborError.malformed("a revocation has an unknown reason")
        }
        self.reason = reason
        time = try reader.readInt64()
        revokerPath = try TreePath.decode(from: &reader)
        revokerKeys = try PublicKeySet(reading: &reader)
        signature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
        guard revokerPath.isStrictAncestor(of: revokedPath) else {
            throw ArborError(.wrongIssuer, "a revocation of \(revokedPath) names \(revokerPath), which is not its ancestor")
        }
        guard signature.isValid(domain: Self.signatureDomain, body: toBeSigned, publicKeys: revokerKeys) else {
            throw ArborError(
                .invalidSignature,
                "the revocation of \(revokedPath) has an invalid signature; discard this list and fetch it again from its source")
        }
    }

    public var description: String {
        "Revocation(\(revokedPath) key \(revokedKeyID.shortHex) by \(revokerPath), \(reason))"
    }
}
