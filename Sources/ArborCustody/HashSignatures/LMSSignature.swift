import ArborCore

/// An LMS signature (RFC 8554 section 5.4): u32 q || LM-OTS signature || u32 LMS type || path[0] … path[h-1].
public struct LMSSignature: Hashable, Sendable {
    /// The leaf index q that was used, and so can never be used again.
    public let leaf: UInt32
    public let otsSignature: LMOTSSignature
    public let parameters: LMSParameters
    /// Authentication path: the sibling of each node from the leaf up to the root's children.
    let path: [[UInt8]]

    init(leaf: UInt32, otsSignature: LMOTSSignature, parameters: LMSParameters, path: [[UInt8]]) {
        self.leaf = leaf
        self.otsSignature = otsSignature
        self.parameters = parameters
        self.path = path
    }

    /// Parses exactly one LMS signature; extra or missing bytes are an error.
    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the LMS signature")
        try self.init(reading: &reader)
        guard reader.isAtEnd else {
            throw CustodyError(.malformedSignature, "the LMS signature has \(reader.remaining) bytes after its end")
        }
    }

    init(reading reader: inout ByteReader) throws {
        guard let leaf = try? reader.readUInt32() else {
            throw CustodyError(.malformedSignature, "the LMS signature is truncated before its leaf index")
        }
        let otsSignature = try LMOTSSignature(reading: &reader)
        guard let lmsType = try? reader.readUInt32() else {
            throw CustodyError(.malformedSignature, "the LMS signature is truncated before its type")
        }
        let parameters = try LMSParameters(typecode: lmsType)
        guard leaf < parameters.leafCount else {
            throw CustodyError(.malformedSignature, "leaf index \(leaf) is outside a tree of height \(parameters.height)")
        }
        guard reader.remaining >= parameters.height * LMSParameters.m else {
            throw CustodyError(.malformedSignature, "the LMS signature's authentication path is truncated")
        }
        var path = [[UInt8]]()
        for _ in 0..<parameters.height {
            guard let node = try? reader.read(count: LMSParameters.m) else {
                throw CustodyError(.malformedSignature, "the LMS signature's authentication path is truncated")
            }
            path.append(node)
        }
        self.init(leaf: leaf, otsSignature: otsSignature, parameters: parameters, path: path)
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(parameters.signatureLength(ots: otsSignature.parameters))
        bytes.appendUInt32(leaf)
        bytes += otsSignature.bytes
        bytes.appendUInt32(parameters.typecode)
        for node in path { bytes += node }
        return bytes
    }
}
