/// An LMS parameter set of RFC 8554 section 5.1. Only the SHA-256, m = 32 sets
/// are implemented (type codes 5…9, tree heights 5, 10, 15, 20, 25).
public struct LMSParameters: Hashable, Sendable, CustomStringConvertible {
    /// The RFC 8554 type code written in keys and signatures.
    public let typecode: UInt32
    /// Tree height h: the key has 2^h one-time leaves.
    public let height: Int

    /// Node length m in bytes.
    static let m = 32
    /// Length of the key identifier I.
    static let identifierLength = 16

    public static let sha256M32H5 = LMSParameters(typecode: 5, height: 5)
    public static let sha256M32H10 = LMSParameters(typecode: 6, height: 10)
    public static let sha256M32H15 = LMSParameters(typecode: 7, height: 15)
    public static let sha256M32H20 = LMSParameters(typecode: 8, height: 20)
    public static let sha256M32H25 = LMSParameters(typecode: 9, height: 25)

    public static let all = [sha256M32H5, sha256M32H10, sha256M32H15, sha256M32H20, sha256M32H25]

    private init(typecode: UInt32, height: Int) {
        self.typecode = typecode
        self.height = height
    }

    /// The parameter set for an RFC 8554 type code.
    public init(typecode: UInt32) throws {
        guard let known = Self.all.first(where: { $0.typecode == typecode }) else {
            throw CustodyError(.unsupportedParameterSet, "LMS type code \(typecode) is not supported (SHA-256/M32 H5…H25 are: 5…9)")
        }
        self = known
    }

    /// Number of one-time leaves, 2^h.
    public var leafCount: UInt32 { 1 << UInt32(height) }

    /// Bytes of an LMS signature using `ots`: q, the LM-OTS signature, type, and h path nodes.
    public func signatureLength(ots: LMOTSParameters) -> Int {
        4 + ots.signatureLength + 4 + height * Self.m
    }

    /// Bytes of an LMS public key: two type codes, I and the root.
    public static let publicKeyLength = 4 + 4 + identifierLength + m

    public var description: String { "LMS_SHA256_M32_H\(height)" }
}
