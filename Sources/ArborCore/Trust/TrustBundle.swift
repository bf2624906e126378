/// What one cluster gives another to be trusted: its name, its root certificate and, if it has
/// one, its revocation list. Imported only after the safety numbers are compared in person.
public struct TrustBundle: Sendable, Equatable {
    public static let armorLabel = "ARBOR TRUST BUNDLE"
    static let magic = Array("ARTB".utf8)
    static let version: UInt8 = 1

    public let clusterName: String
    public let chain: CertificateChain
    public let revocations: RevocationList

    public init(clusterName: String, chain: CertificateChain, revocations: RevocationList = RevocationList()) throws {
        let nameBytes = Array(clusterName.utf8)
        guard (1...64).contains(nameBytes.count), clusterName.allSatisfy({ $0.isLetter || $0.isNumber || "-_. ".contains($0) }) else {
            throw ArborError(.invalidArgument, "a cluster name has 1 to 64 letters, digits, spaces, '-', '_' or '.'")
        }
        guard chain.certificates.count == 1 else {
            throw ArborError(.invalidArgument, "a trust bundle carries the cluster's root certificate alone; pass the root.cert file")
        }
        anchor = try TrustAnchor(name: clusterName, rootCertificate: chain.root)
        self.clusterName = clusterName
        self.chain = chain
        self.revocations = revocations
    }

    public let anchor: TrustAnchor

    public var safetyNumber: SafetyNumber { anchor.safetyNumber }

    /// magic "ARTB", version, u8-length name, u32-length chain, u32-length revocation list.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(short: Array(clusterName.utf8))
        writer.append(long: chain.encoded)
        writer.append(long: revocations.encoded)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a trust bundle")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "trust bundle")
        let name = String(decoding: try reader.readShortField(), as: UTF8.self)
        let chain = try CertificateChain(encoded: try reader.readLongField(maximum: 1 << 24))
        let revocations = try RevocationList(encoded: try reader.readLongField(maximum: 1 << 30))
        try reader.expectEnd()
        try self.init(clusterName: name, chain: chain, revocations: revocations)
    }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(encoded: try Armor.decode(text, label: Self.armorLabel))
    }
}
