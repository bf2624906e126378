import ArborCore
import Crypto

/// One share of a secret split with ``ArborShamir``, in the `arbor-share-v1`
/// format specified in `docs/custody-formats.md`.
///
/// A value of this type always has a valid checksum: the only ways to get one
/// are ``ArborShamir/split(secret:threshold:shareCount:using:)`` and the parsing
/// initialisers, which verify it. Its `description` shows only public header
/// fields, never the share value.
public struct ArborShare: Hashable, Sendable, CustomStringConvertible {
    /// Text form prefix; the rest is the binary form in hex.
    public static let textPrefix = "arbor-share-v1-"
    static let version: UInt8 = 0x01
    static let headerLength = 9
    static let digestLength = 16
    static let checksumLength = 4
    /// Largest secret accepted, in bytes. Root secrets are 32 to 64 bytes; the
    /// cap keeps a hostile share from asking for huge allocations.
    public static let maximumSecretLength = 1024
    private static let checksumDomain = Array("arbor-share-v1".utf8)

    /// Random identifier common to every share of one split.
    public let setIdentifier: UInt32
    /// How many distinct shares of the set recover the secret.
    public let threshold: Int
    /// The share's x coordinate, 1…255; distinct within a set.
    public let x: UInt8
    /// Length in bytes of the secret the set recovers.
    public let secretLength: Int
    /// The polynomial values for secret || digest at `x`.
    let value: [UInt8]

    init(setIdentifier: UInt32, threshold: Int, x: UInt8, secretLength: Int, value: [UInt8]) {
        self.setIdentifier = setIdentifier
        self.threshold = threshold
        self.x = x
        self.secretLength = secretLength
        self.value = value
    }

    /// The binary form: header, value, checksum.
    public var bytes: [UInt8] {
        var bytes = bodyBytes
        bytes += Self.checksum(of: bytes)
        return bytes
    }

    /// The text form, `arbor-share-v1-` followed by the binary form in lower-case hex.
    public var text: String {
        Self.textPrefix + Hex.encode(bytes)
    }

    public var description: String {
        "ArborShare(set: \(Self.hexIdentifier(setIdentifier)), x: \(x), threshold: \(threshold), secretLength: \(secretLength))"
    }

    /// Parses the text form. Leading and trailing whitespace is ignored; hex may be either case.
    public init(text: String) throws {
        let trimmed = text.trimmingASCIIWhitespace()
        guard trimmed.hasPrefix(Self.textPrefix) else {
            throw CustodyError.malformedShare("an Arbor share starts with \"\(Self.textPrefix)\"")
        }
        guard let bytes = try? Hex.decode(String(trimmed.dropFirst(Self.textPrefix.count))) else {
            throw CustodyError.malformedShare("an Arbor share body is an even number of hexadecimal digits")
        }
        try self.init(bytes: bytes)
    }

    /// Parses the binary form, checking every field and the checksum.
    public init(bytes: [UInt8]) throws {
        let minimumLength = Self.headerLength + 1 + Self.digestLength + Self.checksumLength
        guard bytes.count >= minimumLength else {
            throw CustodyError.malformedShare("an Arbor share is at least \(minimumLength) bytes, this one has \(bytes.count)")
        }
        guard bytes[0] == Self.version else {
            throw CustodyError.malformedShare("unknown Arbor share version \(bytes[0])")
        }
        let secretLength = Int(bytes[7]) << 8 | Int(bytes[8])
        guard (1...Self.maximumSecretLength).contains(secretLength) else {
            throw CustodyError.malformedShare("secret length \(secretLength) is outside 1…\(Self.maximumSecretLength)")
        }
        let expectedLength = Self.headerLength + secretLength + Self.digestLength + Self.checksumLength
        guard bytes.count == expectedLength else {
            throw CustodyError.malformedShare(
                "a share of a \(secretLength)-byte secret is \(expectedLength) bytes, this one has \(bytes.count): it is truncated or has extra bytes"
            )
        }
        let body = Array(bytes[..<(expectedLength - Self.checksumLength)])
        let checksum = Array(bytes[(expectedLength - Self.checksumLength)...])
        guard Self.checksum(of: body) == checksum else {
            throw CustodyError(.checksumMismatch, "the share's checksum does not match: it was mistyped or corrupted")
        }
        let threshold = Int(bytes[5])
        let x = bytes[6]
        guard threshold >= 1 else {
            throw CustodyError.malformedShare("threshold 0 is invalid")
        }
        guard x >= 1 else {
            throw CustodyError.malformedShare("x coordinate 0 is invalid: it would reveal the secret directly")
        }
        let setIdentifier = bytes[1...4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        self.init(
            setIdentifier: setIdentifier,
            threshold: threshold,
            x: x,
            secretLength: secretLength,
            value: Array(body[Self.headerLength...])
        )
    }

    private var bodyBytes: [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: setIdentifier >> $0) }
        bytes.append(UInt8(threshold))
        bytes.append(x)
        bytes.append(UInt8(secretLength >> 8))
        bytes.append(UInt8(truncatingIfNeeded: secretLength))
        bytes += value
        return bytes
    }

    /// First four bytes of SHA-256("arbor-share-v1" || body).
    static func checksum(of body: [UInt8]) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: checksumDomain)
        hasher.update(data: body)
        return Array(hasher.finalize().prefix(checksumLength))
    }

    static func hexIdentifier(_ identifier: UInt32) -> String {
        Hex.encode([24, 16, 8, 0].map { UInt8(truncatingIfNeeded: identifier >> $0) })
    }
}
