import ArborCore

/// An LM-OTS signature (RFC 8554 section 4.5): u32 type || C || y[0] … y[p-1].
public struct LMOTSSignature: Hashable, Sendable {
    public let parameters: LMOTSParameters
    /// The randomizer C.
    let randomizer: [UInt8]
    /// The p chain values y[i].
    let elements: [[UInt8]]

    init(parameters: LMOTSParameters, randomizer: [UInt8], elements: [[UInt8]]) {
        self.parameters = parameters
        self.randomizer = randomizer
        self.elements = elements
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.reserveCapacity(parameters.signatureLength)
        bytes.appendUInt32(parameters.typecode)
        bytes += randomizer
        for element in elements { bytes += element }
        return bytes
    }

    /// Reads one LM-OTS signature, throwing on an unknown type or too few bytes.
    init(reading reader: inout ByteReader) throws {
        guard let typecode = try? reader.readUInt32() else {
            throw CustodyError(.malformedSignature, "the LM-OTS signature is truncated before its type")
        }
        let parameters = try LMOTSParameters(typecode: typecode)
        guard reader.remaining >= parameters.signatureLength - 4, let randomizer = try? reader.read(count: LMSHash.n) else {
            throw CustodyError(.malformedSignature, "the \(parameters) signature is truncated")
        }
        var elements = [[UInt8]]()
        elements.reserveCapacity(parameters.chainCount)
        for _ in 0..<parameters.chainCount {
            guard let element = try? reader.read(count: LMSHash.n) else {
                throw CustodyError(.malformedSignature, "the \(parameters) signature is truncated")
            }
            elements.append(element)
        }
        self.init(parameters: parameters, randomizer: randomizer, elements: elements)
    }
}
