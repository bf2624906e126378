import ArborCore

/// An LMS public key (RFC 8554 section 5.3): u32 LMS type || u32 LM-OTS type || I || T[1].
public struct LMSPublicKey: Hashable, Sendable, CustomStringConvertible {
    public let parameters: LMSParameters
    public let otsParameters: LMOTSParameters
    /// The 16-byte key identifier I.
    public let identifier: [UInt8]
    /// The Merkle tree root T[1].
    public let root: [UInt8]

    init(parameters: LMSParameters, otsParameters: LMOTSParameters, identifier: [UInt8], root: [UInt8]) {
        self.parameters = parameters
        self.otsParameters = otsParameters
        self.identifier = identifier
        self.root = root
    }

    /// Parses exactly one public key; extra or missing bytes are an error.
    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the LMS public key")
        try self.init(reading: &reader)
        guard reader.isAtEnd else {
            throw CustodyError(
                .malformedPublicKey, "an LMS public key is \(LMSParameters.publicKeyLength) bytes, this one has \(bytes.count)")
        }
    }

    init(reading reader: inout ByteReader) throws {
        guard let lmsType = try? reader.readUInt32(), let otsType = try? reader.readUInt32() else {
            throw CustodyError(.malformedPublicKey, "the LMS public key is truncated before its type codes")
        }
        let parameters = try LMSParameters(typecode: lmsType)
        let otsParameters = try LMOTSParameters(typecode: otsType)
        guard let identifier = try? reader.read(count: LMSParameters.identifierLength), let root = try? reader.read(count: LMSParameters.m)
        else {
            throw CustodyError(.malformedPublicKey, "the LMS public key is truncated")
        }
        self.init(parameters: parameters, otsParameters: otsParameters, identifier: identifier, root: root)
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.appendUInt32(parameters.typecode)
        bytes.appendUInt32(otsParameters.typecode)
        return bytes + identifier + root
    }

    public var description: String {
        "LMSPublicKey(\(parameters), \(otsParameters), I: \(Hex.encode(identifier)))"
    }

    /// Whether `signature` signs `message` under this key (RFC 8554 algorithm 6a).
    public func isValidSignature(_ signature: LMSSignature, for message: [UInt8]) -> Bool {
        guard signature.parameters == parameters, signature.otsSignature.parameters == otsParameters,
            signature.leaf < parameters.leafCount
        else { return false }
        let candidate = LMOTS.candidatePublicKeyHash(
            signature: signature.otsSignature, identifier: identifier, q: signature.leaf, message: message
        )
        var nodeNumber = parameters.leafCount + signature.leaf
        var node = LMSHash.hash(identifier: identifier, number: nodeNumber, domain: LMSHash.leafDomain, candidate)
        for sibling in signature.path {
            let parent = nodeNumber / 2
            node =
                nodeNumber % 2 == 1
                ? LMSHash.hash(identifier: identifier, number: parent, domain: LMSHash.interiorDomain, sibling, node)
                : LMSHash.hash(identifier: identifier, number: parent, domain: LMSHash.interiorDomain, node, sibling)
            nodeNumber = parent
        }
        return node == root
    }

    /// Parses `signatureBytes` and checks it; malformed bytes are simply not a valid signature.
    public func isValidSignature(bytes signatureBytes: [UInt8], for message: [UInt8]) -> Bool {
        guard let signature = try? LMSSignature(bytes: signatureBytes) else { return false }
        return isValidSignature(signature, for: message)
    }
}
