import ArborCore

/// An HSS public key (RFC 8554 section 6.1): u32 L || the top-level LMS public key.
public struct HSSPublicKey: Hashable, Sendable, CustomStringConvertible {
    /// RFC 8554 allows 1…8 levels.
    public static let levelRange = 1...8

    /// Number of levels L; a signature carries L - 1 signed public keys.
    public let levels: Int
    /// The top-level LMS public key.
    public let topKey: LMSPublicKey

    public init(levels: Int, topKey: LMSPublicKey) throws {
        guard Self.levelRange.contains(levels) else {
            throw CustodyError.invalidParameters("HSS has 1…8 levels, not \(levels)")
        }
        self.levels = levels
        self.topKey = topKey
    }

    /// Parses exactly one HSS public key.
    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the HSS public key")
        guard let levels = try? reader.readUInt32() else {
            throw CustodyError(.malformedPublicKey, "the HSS public key is truncated before its level count")
        }
        guard Self.levelRange.contains(Int(levels)) else {
            throw CustodyError(.malformedPublicKey, "the HSS public key claims \(levels) levels; 1…8 are allowed")
        }
        let topKey = try LMSPublicKey(reading: &reader)
        guard reader.isAtEnd else {
            throw CustodyError(.malformedPublicKey, "the HSS public key has \(reader.remaining) bytes after its end")
        }
        try self.init(levels: Int(levels), topKey: topKey)
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.appendUInt32(UInt32(levels))
        return bytes + topKey.bytes
    }

    public var description: String {
        "HSSPublicKey(levels: \(levels), top: \(topKey))"
    }

    /// RFC 8554 algorithm 6: each level's signature must verify the next level's
    /// public key, and the last one the message.
    public func isValidSignature(_ signature: HSSSignature, for message: [UInt8]) -> Bool {
        guard signature.signedPublicKeys.count == levels - 1 else { return false }
        var key = topKey
        for link in signature.signedPublicKeys {
            guard key.isValidSignature(link.signature, for: link.publicKey.bytes) else { return false }
            key = link.publicKey
        }
        return key.isValidSignature(signature.messageSignature, for: message)
    }

    /// Parses `signatureBytes` and checks it; malformed bytes are simply not a valid signature.
    public func isValidSignature(bytes signatureBytes: [UInt8], for message: [UInt8]) -> Bool {
        guard let signature = try? HSSSignature(bytes: signatureBytes) else { return false }
        return isValidSignature(signature, for: message)
    }
}
