import ArborCore
import Crypto
import Foundation

/// The secret a client presents: `arb_` and 32 random bytes in unpadded base64url. Shown once
/// at creation; the node keeps only its SHA-256. It never appears in a description, a log line
/// or an error.
public struct TokenSecret: Sendable, CustomStringConvertible {
    public static let prefix = "arb_"
    /// The longest header value considered at all; longer ones fail without hashing.
    static let maximumLength = 512

    /// The text as sent by or shown to the client.
    public let text: SecretBytes

    /// A fresh random token.
    public static func generate() -> TokenSecret {
        let key = SymmetricKey(size: .bits256)
        let encoded = key.withUnsafeBytes { Data($0).base64EncodedString() }
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        return TokenSecret(SecretBytes(copying: Array((prefix + encoded).utf8)))
    }

    /// A token chosen by the operator (`--dev-root-token`) or presented by a client.
    public init(_ text: SecretBytes) {
        self.text = text
    }

    /// What the store keeps and looks up by.
    var hash: [UInt8] { text.withUnsafeBytes { Array(SHA256.hash(data: $0)) } }

    /// For printing once, at creation.
    public func reveal() -> String { text.withUnsafeBytes { String(decoding: $0, as: UTF8.self) } }

    public var description: String { "TokenSecret(redacted)" }
}
