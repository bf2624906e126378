/// An LM-OTS parameter set of RFC 8554 section 4.1. Only the SHA-256, n = 32
/// sets are implemented (type codes 1…4).
public struct LMOTSParameters: Hashable, Sendable, CustomStringConvertible {
    /// The RFC 8554 type code written in keys and signatures.
    public let typecode: UInt32
    /// Winternitz parameter w: bits of the message hash covered by one hash chain.
    public let winternitz: Int
    /// p: the number of hash chains (n-byte elements) in a signature.
    public let chainCount: Int
    /// ls: left shift applied to the checksum.
    let checksumShift: Int

    /// Hash output length n in bytes.
    static let n = 32

    public static let sha256N32W1 = LMOTSParameters(typecode: 1, winternitz: 1, chainCount: 265, checksumShift: 7)
    public static let sha256N32W2 = LMOTSParameters(typecode: 2, winternitz: 2, chainCount: 133, checksumShift: 6)
    public static let sha256N32W4 = LMOTSParameters(typecode: 3, winternitz: 4, chainCount: 67, checksumShift: 4)
    public static let sha256N32W8 = LMOTSParameters(typecode: 4, winternitz: 8, chainCount: 34, checksumShift: 0)

    public static let all = [sha256N32W1, sha256N32W2, sha256N32W4, sha256N32W8]

    private init(typecode: UInt32, winternitz: Int, chainCount: Int, checksumShift: Int) {
        self.typecode = typecode
        self.winternitz = winternitz
        self.chainCount = chainCount
        self.checksumShift = checksumShift
    }

    /// The parameter set for an RFC 8554 type code.
    public init(typecode: UInt32) throws {
        guard let known = Self.all.first(where: { $0.typecode == typecode }) else {
            throw CustodyError(
                .unsupportedParameterSet, "LM-OTS type code \(typecode) is not supported (SHA-256/N32 W1, W2, W4, W8 are: 1…4)")
        }
        self = known
    }

    /// Bytes of an LM-OTS signature: type, C, and p elements.
    public var signatureLength: Int { 4 + Self.n + chainCount * Self.n }

    /// Largest value of one chain coefficient, 2^w - 1.
    var maximumCoefficient: Int { (1 << winternitz) - 1 }

    public var description: String { "LMOTS_SHA256_N32_W\(winternitz)" }
}
