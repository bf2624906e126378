import ArborCore

/// An HSS signature (RFC 8554 section 6.2): u32 Nspk || Nspk signed public keys
/// || the bottom key's LMS signature over the message.
public struct HSSSignature: Hashable, Sendable {
    /// The chain from the top key down to the key that signed the message.
    public let signedPublicKeys: [HSSSignedPublicKey]
    /// The bottom-level LMS signature over the message.
    public let messageSignature: LMSSignature

    public init(signedPublicKeys: [HSSSignedPublicKey], messageSignature: LMSSignature) {
        self.signedPublicKeys = signedPublicKeys
        self.messageSignature = messageSignature
    }

    /// Parses exactly one HSS signature, bounds-checking every length.
    public init(bytes: [UInt8]) throws {
        var reader = ByteReader(bytes, context: "the HSS signature")
        guard let count = try? reader.readUInt32() else {
            throw CustodyError(.malformedSignature, "the HSS signature is truncated before its level count")
        }
        guard count < UInt32(HSSPublicKey.levelRange.upperBound) else {
            throw CustodyError(.malformedSignature, "the HSS signature claims \(count) signed public keys; at most 7 are allowed")
        }
        var links = [HSSSignedPublicKey]()
        for _ in 0..<count {
            links.append(try HSSSignedPublicKey(reading: &reader))
        }
        messageSignature = try LMSSignature(reading: &reader)
        guard reader.isAtEnd else {
            throw CustodyError(.malformedSignature, "the HSS signature has \(reader.remaining) bytes after its end")
        }
        signedPublicKeys = links
    }

    public var bytes: [UInt8] {
        var bytes = [UInt8]()
        bytes.appendUInt32(UInt32(signedPublicKeys.count))
        for link in signedPublicKeys { bytes += link.bytes }
        return bytes + messageSignature.bytes
    }
}
