import ArborCore
import Crypto

/// The recovery code shown once at sign-up (docs/e2ee.md §6): 160 random bits and a 20-bit
/// checksum as 18 words of the SLIP-39 list (10 bits each), written in six groups of three. It
/// wraps the master key on its own, so a forgotten password loses nothing while the code is kept;
/// losing both loses the data, by design. Its entropy is high, so it is expanded with HKDF alone,
/// not stretched.
public struct RecoveryCode: Sendable, CustomStringConvertible {
    public static let entropySize = 20
    public static let wordCount = 18
    static let label = "arbor/v1/e2ee/recovery-key"
    static let checksumLabel = "arbor/v1/e2ee/recovery-check"

    let entropy: SecretBytes

    public static func generate() -> RecoveryCode {
        var bytes = randomBytes(entropySize)
        return RecoveryCode(entropy: SecretBytes(consuming: &bytes))
    }

    init(entropy: SecretBytes) { self.entropy = entropy }

    /// The words, in order: the 160 bits of entropy then the first 20 bits of
    /// `SHA-256("arbor/v1/e2ee/recovery-check" 0x00 ‖ entropy)`, read 10 bits at a time, big-endian.
    public var words: [String] {
        var bits = entropy.withUnsafeBytes { Array($0) } + Array(Self.checksum(of: entropy).prefix(3))
        defer { bits.wipe() }
        return (0..<Self.wordCount).map { index in Wordlist.slip39[Self.tenBits(bits, at: index * 10)] }
    }

    /// The words in six groups of three, for writing down.
    public var groups: [String] { stride(from: 0, to: Self.wordCount, by: 3).map { words[$0..<$0 + 3].joined(separator: " ") } }

    /// Reads a code typed back: words separated by spaces (any case; extra spaces and dashes
    /// ignored). A word not on the list, a wrong count or a wrong checksum is `invalid argument`,
    /// saying which, before any key is tried.
    public init(parsing text: String) throws {
        let typed = text.lowercased().split(whereSeparator: { $0 == " " || $0 == "-" || $0.isNewline }).map(String.init)
        guard typed.count == Self.wordCount else {
            throw ArborError(.invalidArgument, "a recovery code has \(Self.wordCount) words; this one has \(typed.count)")
        }
        var bits = [UInt8](repeating: 0, count: 23)
        for (index, word) in typed.enumerated() {
            guard let value = Wordlist.slip39.firstIndex(of: word) else {
                // The word itself is part of a secret: the message names its place only.
                bits.wipe()
                throw ArborError(.invalidArgument, "word \(index + 1) of the recovery code is not on the word list; check its spelling")
            }
            Self.setTenBits(&bits, at: index * 10, value)
        }
        let entropy = SecretBytes(copying: bits.prefix(Self.entropySize))
        let checksum = Self.checksum(of: entropy)
        let expected = (UInt32(checksum[0]) << 12) | (UInt32(checksum[1]) << 4) | (UInt32(checksum[2]) >> 4)
        let found = (UInt32(bits[20]) << 12) | (UInt32(bits[21]) << 4) | (UInt32(bits[22]) >> 4)
        bits.wipe()
        guard expected == found else {
            throw ArborError(.invalidArgument, "the recovery code's checksum does not match: a word is mistyped or out of order")
        }
        self.entropy = entropy
    }

    /// `HKDF-SHA256(entropy, salt: none, info: "arbor/v1/e2ee/recovery-key" 0x00 ‖ account id, 32)`.
    public func key(for account: AccountID) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(
            inputKeyMaterial: entropy.withUnsafeBytes { SymmetricKey(data: $0) }, salt: [UInt8](),
            info: Array(Self.label.utf8) + [0] + account.bytes, outputByteCount: 32)
    }

    public var description: String { "RecoveryCode(redacted)" }

    static func checksum(of entropy: SecretBytes) -> [UInt8] {
        entropy.withUnsafeBytes { Array(SHA256.hash(data: Array(checksumLabel.utf8) + [0] + Array($0))) }
    }

    static func tenBits(_ bytes: [UInt8], at bit: Int) -> Int {
        (0..<10).reduce(0) { value, offset in
            let position = bit + offset
            return value << 1 | Int((bytes[position / 8] >> (7 - position % 8)) & 1)
        }
    }

    static func setTenBits(_ bytes: inout [UInt8], at bit: Int, _ value: Int) {
        for offset in 0..<10 where (value >> (9 - offset)) & 1 == 1 {
            let position = bit + offset
            bytes[position / 8] |= 1 << (7 - position % 8)
        }
    }
}
