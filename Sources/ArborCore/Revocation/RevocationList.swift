/// A set of revocations. Lists merge by union; every entry is verified when a list is read.
public struct RevocationList: Sendable, Equatable {
    public static let armorLabel = "ARBOR REVOCATION LIST"
    static let magic = Array("ARRL".utf8)
    static let version: UInt8 = 1

    /// Sorted by encoding, so equal sets encode identically.
    public private(set) var revocations: [Revocation]

    public init(_ revocations: [Revocation] = []) {
        self.revocations = []
        merge(revocations)
    }

    public mutating func merge(_ other: [Revocation]) {
        var entries = Dictionary(revocations.map { ($0.encoded, $0) }, uniquingKeysWith: { first, _ in first })
        for revocation in other { entries[revocation.encoded] = revocation }
        revocations = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }.map(\.value)
    }

    public func merging(_ other: RevocationList) -> RevocationList {
        var merged = self
        merged.merge(other.revocations)
        return merged
    }

    public func revocations(of keyID: KeyID) -> [Revocation] { revocations.filter { $0.revokedKeyID == keyID } }

    /// The entries that apply to a certificate: those naming its key, and the `key-compromise`
    /// entries for its exact path (which cover every epoch of that branch).
    public func revocations(covering certificate: KeyCertificate) -> [Revocation] {
        revocations.filter { $0.covers(certificate) }
    }

    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(UInt32(revocations.count))
        for revocation in revocations { writer.append(long: revocation.encoded) }
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a revocation list")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "revocation list")
        let count = Int(try reader.readUInt32())
        var entries: [Revocation] = []
        for _ in 0..<count { entries.append(try Revocation(encoded: try reader.readLongField(maximum: 1 << 16))) }
        try reader.expectEnd()
        self.init(entries)
    }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(encoded: try Armor.decode(text, label: Self.armorLabel))
    }
}
