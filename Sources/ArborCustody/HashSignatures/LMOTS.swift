/// The LM-OTS one-time signature of RFC 8554 section 4, with the private key
/// derived from a seed as in Appendix A.
enum LMOTS {
    /// coef(S, i, w): the i-th w-bit digit of S, most significant first.
    static func coefficient(_ bytes: [UInt8], index: Int, winternitz w: Int) -> Int {
        let byte = Int(bytes[index * w / 8])
        let shift = 8 - (w * (index % (8 / w)) + w)
        return (byte >> shift) & ((1 << w) - 1)
    }

    /// Q || Cksm(Q): the digits that say how far along each chain the signature goes.
    static func digits(messageHash: [UInt8], parameters: LMOTSParameters) -> [Int] {
        let w = parameters.winternitz
        var sum = 0
        for index in 0..<(LMSHash.n * 8 / w) {
            sum += parameters.maximumCoefficient - coefficient(messageHash, index: index, winternitz: w)
        }
        let checksum = UInt16(truncatingIfNeeded: sum << parameters.checksumShift)
        let extended = messageHash + [UInt8(checksum >> 8), UInt8(truncatingIfNeeded: checksum)]
        return (0..<parameters.chainCount).map { coefficient(extended, index: $0, winternitz: w) }
    }

    /// Q = H(I || u32(q) || u16(D_MESG) || C || message).
    static func messageHash(identifier: [UInt8], q: UInt32, randomizer: [UInt8], message: [UInt8]) -> [UInt8] {
        LMSHash.hash(identifier: identifier, number: q, domain: LMSHash.messageDomain, randomizer, message)
    }

    /// K: the hash of the ends of all p chains for leaf q.
    static func publicKeyHash(parameters: LMOTSParameters, identifier: [UInt8], q: UInt32, seed: [UInt8]) -> [UInt8] {
        var ends = [UInt8]()
        ends.reserveCapacity(parameters.chainCount * LMSHash.n)
        for index in 0..<parameters.chainCount {
            var element = LMSHash.derive(seed: seed, identifier: identifier, q: q, index: UInt16(index))
            LMSHash.chain(&element, identifier: identifier, q: q, index: UInt16(index), steps: 0..<parameters.maximumCoefficient)
            ends += element
        }
        return LMSHash.hash(identifier: identifier, number: q, domain: LMSHash.publicKeyDomain, ends)
    }

    static func sign(
        parameters: LMOTSParameters, identifier: [UInt8], q: UInt32, seed: [UInt8], message: [UInt8]
    ) -> LMOTSSignature {
        let randomizer = LMSHash.derive(seed: seed, identifier: identifier, q: q, index: LMSHash.randomizerIndex)
        let hash = messageHash(identifier: identifier, q: q, randomizer: randomizer, message: message)
        let elements = digits(messageHash: hash, parameters: parameters).enumerated().map { index, digit in
            var element = LMSHash.derive(seed: seed, identifier: identifier, q: q, index: UInt16(index))
            LMSHash.chain(&element, identifier: identifier, q: q, index: UInt16(index), steps: 0..<digit)
            return element
        }
        return LMOTSSignature(parameters: parameters, randomizer: randomizer, elements: elements)
    }

    /// Algorithm 4b: the public key K that `signature` would verify under.
    static func candidatePublicKeyHash(signature: LMOTSSignature, identifier: [UInt8], q: UInt32, message: [UInt8]) -> [UInt8] {
        let parameters = signature.parameters
        let hash = messageHash(identifier: identifier, q: q, randomizer: signature.randomizer, message: message)
        var ends = [UInt8]()
        ends.reserveCapacity(parameters.chainCount * LMSHash.n)
        for (index, digit) in digits(messageHash: hash, parameters: parameters).enumerated() {
            var element = signature.elements[index]
            LMSHash.chain(&element, identifier: identifier, q: q, index: UInt16(index), steps: digit..<parameters.maximumCoefficient)
            ends += element
        }
        return LMSHash.hash(identifier: identifier, number: q, domain: LMSHash.publicKeyDomain, ends)
    }
}
