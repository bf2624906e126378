/// A member record's value: where the node listens and the certificate chain of its key.
/// Byte layout in docs/cluster.md, "Values".
public struct ClusterMember: Sendable, Equatable {
    public static let maximumAddresses = 16

    /// `host:port` strings, 1 to 255 bytes of UTF-8 each.
    public let addresses: [String]
    public let chain: CertificateChain

    public var path: TreePath { chain.leaf.path }

    public init(addresses: [String], chain: CertificateChain) throws {
        guard addresses.count <= Self.maximumAddresses, addresses.allSatisfy({ (1...255).contains($0.utf8.count) }) else {
            throw ArborError(.invalidArgument, "a member has at most \(Self.maximumAddresses) addresses of 1 to 255 bytes")
        }
        self.addresses = addresses
        self.chain = chain
    }

    /// u8 count, each address as a short field, then the chain as a long field.
    public var encoded: [UInt8] {
        var writer = ByteWriter()
        writer.append(UInt8(addresses.count))
        for address in addresses { writer.append(short: Array(address.utf8)) }
        writer.append(long: chain.encoded)
        return writer.bytes
    }

    public init(encoded bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "a member record")
        let count = Int(try reader.readUInt8())
        guard count <= Self.maximumAddresses else { throw ArborError.malformed("a member record has too many addresses") }
        var addresses: [String] = []
        for _ in 0..<count {
            let raw = try reader.readShortField()
            guard let address = String(validating: raw, as: UTF8.self) else {
                throw ArborError.malformed("a member record has an address that is not UTF-8")
            }
            addresses.append(address)
        }
        let chain = try CertificateChain(encoded: try reader.readLongField(maximum: ClusterRecord.maximumChainSize))
        try reader.expectEnd()
        do {
            try self.init(addresses: addresses, chain: chain)
        } catch {
            throw ArborError.malformed("a member record has an empty address")
        }
    }
}
