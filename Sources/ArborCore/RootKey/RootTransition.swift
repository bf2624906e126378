/// A root rekey's hand-over: the old root and the new root both sign that the cluster moves from
/// the one to the other. A node that trusts the old root follows the transition on its own; a
/// trusted cluster elsewhere must also confirm the new root's safety number, as at first import.
/// See docs/keys.md, "Root transition".
public struct RootTransition: Sendable, Equatable {
    public static let armorLabel = "ARBOR ROOT TRANSITION"
    static let magic = Array("ARRT".utf8)
    static let version: UInt8 = 1
    /// One domain per role, so a signature made as the one root cannot stand in for the other.
    static let oldRootDomain = "arbor/v1/root-transition/old"
    static let newRootDomain = "arbor/v1/root-transition/new"

    public let oldRoot: KeyCertificate
    public let newRoot: KeyCertificate
    /// Seconds since 1970: when the old root handed over.
    public let time: Int64
    let oldRootSignature: HybridSignature
    let newRootSignature: HybridSignature

    /// Signs the hand-over with both root keys. The new root's certificate must be valid at `time`.
    public static func make(
        from oldKeys: NodeKeySet, certificate oldRoot: KeyCertificate,
        to newKeys: NodeKeySet, certificate newRoot: KeyCertificate,
        at time: Int64
    ) throws -> RootTransition {
        guard oldRoot.keyID == oldKeys.keyID, newRoot.keyID == newKeys.keyID else {
            throw ArborError(.invalidArgument, "each root certificate must be the certificate of the root key given with it")
        }
        try checkShape(oldRoot: oldRoot, newRoot: newRoot, time: time)
        let body = signedBody(oldRoot: oldRoot, newRoot: newRoot, time: time)
        return RootTransition(
            oldRoot: oldRoot, newRoot: newRoot, time: time,
            oldRootSignature: try HybridSignature.sign(domain: oldRootDomain, body: body, with: oldKeys),
            newRootSignature: try HybridSignature.sign(domain: newRootDomain, body: body, with: newKeys)
        )
    }

    /// The new root as the next anchor of a cluster that trusts `anchor`, under the same name:
    /// the transition must start at that very root, and both roots must have signed it.
    public func verify(from anchor: TrustAnchor) throws -> TrustAnchor {
        guard anchor.rootCertificate == oldRoot else {
            throw ArborError(
                .untrustedRoot,
                "this transition hands over from root \(oldRoot.keyID.shortHex), not from the trusted root \(anchor.keyID.shortHex) of '\(anchor.name)'"
            )
        }
        let body = Self.signedBody(oldRoot: oldRoot, newRoot: newRoot, time: time)
        // Check both, then combine, as HybridSignature does within one.
        let oldValid = oldRootSignature.isValid(domain: Self.oldRootDomain, body: body, publicKeys: oldRoot.publicKeys)
        let newValid = newRootSignature.isValid(domain: Self.newRootDomain, body: body, publicKeys: newRoot.publicKeys)
        guard oldValid && newValid else {
            throw ArborError(.invalidSignature, "the root transition is not signed by both the old and the new root")
        }
        return try TrustAnchor(name: anchor.name, rootCertificate: newRoot)
    }

    /// magic "ARRT", version, old root certificate and new root certificate as long fields, the time (u64).
    static func signedBody(oldRoot: KeyCertificate, newRoot: KeyCertificate, time: Int64) -> [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: magic)
        writer.append(version)
        writer.append(long: oldRoot.encoded)
        writer.append(long: newRoot.encoded)
        writer.append(time)
        return writer.bytes
    }

    /// The signed body, then the old root's signature, then the new root's.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.signedBody(oldRoot: oldRoot, newRoot: newRoot, time: time))
        oldRootSignature.encode(into: &writer)
        newRootSignature.encode(into: &writer)
        return writer.bytes
    }

    /// Parses; the signatures are checked by `verify(from:)`, against the root the reader trusts.
    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a root transition")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "root transition")
        let oldRoot = try KeyCertificate(encoded: try reader.readLongField(maximum: 1 << 16))
        let newRoot = try KeyCertificate(encoded: try reader.readLongField(maximum: 1 << 16))
        let time = try reader.readInt64()
        let oldSignature = try HybridSignature.decode(from: &reader)
        let newSignature = try HybridSignature.decode(from: &reader)
        try reader.expectEnd()
        do {
            try Self.checkShape(oldRoot: oldRoot, newRoot: newRoot, time: time)
        } catch let error as ArborError {
            throw ArborError.malformed("the root transition is not well formed: \(error.message)")
        }
        self.init(oldRoot: oldRoot, newRoot: newRoot, time: time, oldRootSignature: oldSignature, newRootSignature: newSignature)
    }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(encoded: try Armor.decode(text, label: Self.armorLabel))
    }

    /// Two different self-signed root certificates, the new one valid at the time of the hand-over.
    private static func checkShape(oldRoot: KeyCertificate, newRoot: KeyCertificate, time: Int64) throws {
        for certificate in [oldRoot, newRoot] {
            guard certificate.kind == .root, certificate.isSigned(by: certificate.publicKeys) else {
                throw ArborError(.invalidArgument, "a root transition joins two self-signed root certificates")
            }
        }
        guard oldRoot.keyID != newRoot.keyID else {
            throw ArborError(.invalidRekey, "the new root is the old root; a root rekey needs a new root key")
        }
        guard newRoot.validity.contains(time) else {
            throw ArborError(.invalidRekey, "the new root's certificate is not valid at the time of the transition")
        }
    }

    private init(
        oldRoot: KeyCertificate, newRoot: KeyCertificate, time: Int64, oldRootSignature: HybridSignature, newRootSignature: HybridSignature
    ) {
        self.oldRoot = oldRoot
        self.newRoot = newRoot
        self.time = time
        self.oldRootSignature = oldRootSignature
        self.newRootSignature = newRootSignature
    }
}
