/// Certificates from the cluster root (first, self-signed) down to one node (last).
public struct CertificateChain: Sendable, Equatable {
    public static let armorLabel = "ARBOR CERTIFICATE CHAIN"
    static let magic = Array("ARCC".utf8)
    static let version: UInt8 = 1
    public static let maximumLength = 128

    public let certificates: [KeyCertificate]

    public init(_ certificates: [KeyCertificate]) throws {
        guard !certificates.isEmpty, certificates.count <= Self.maximumLength else {
            throw ArborError.malformed("a certificate chain holds 1 to \(Self.maximumLength) certificates")
        }
        self.certificates = certificates
    }

    public var root: KeyCertificate { certificates[0] }
    public var leaf: KeyCertificate { certificates[certificates.count - 1] }

    public func appending(_ certificate: KeyCertificate) throws -> CertificateChain {
        try CertificateChain(certificates + [certificate])
    }

    /// The chain cut after the certificate of `path`, or nil when the chain does not pass through it.
    public func prefix(through path: TreePath) -> CertificateChain? {
        guard let index = certificates.lastIndex(where: { $0.path == path }) else { return nil }
        return try? CertificateChain(Array(certificates[...index]))
    }

    /// magic "ARCC", version, u16 count, then each certificate with a u32 length.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(raw: Self.magic)
        writer.append(Self.version)
        writer.append(UInt16(certificates.count))
        for certificate in certificates { writer.append(long: certificate.encoded) }
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a certificate chain")
        try reader.readHeader(magic: Self.magic, version: Self.version, what: "certificate chain")
        let count = Int(try reader.readUInt16())
        var certificates: [KeyCertificate] = []
        for _ in 0..<min(count, Self.maximumLength + 1) {
            certificates.append(try KeyCertificate(encoded: try reader.readLongField(maximum: 1 << 16)))
        }
        try reader.expectEnd()
        try self.init(certificates)
    }

    public var armored: String { Armor.encode(encoded, label: Self.armorLabel) }

    public init(armored text: String) throws {
        try self.init(encoded: try Armor.decode(text, label: Self.armorLabel))
    }
}
