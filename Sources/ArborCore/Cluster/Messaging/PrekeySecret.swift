import Crypto
import Foundation

/// The secret half of a one-time prekey: a random X-Wing key that no parent can derive, kept by
/// the node only until the message sealed to it opens (then deleted: forward secrecy). Its
/// description never shows the key.
public struct PrekeySecret: Sendable, CustomStringConvertible {
    public static let seedSize = 32

    public let id: UInt32
    public let privateKey: XWingMLKEM768X25519.PrivateKey

    /// A fresh prekey from the operating system's CSPRNG.
    public static func generate(id: UInt32) throws -> PrekeySecret {
        PrekeySecret(id: id, privateKey: try .generate())
    }

    /// Restores a prekey from its 32-byte X-Wing seed (as a store keeps it).
    public init(id: UInt32, seed: SecretBytes) throws {
        guard seed.count == Self.seedSize,
            let key = try? seed.withUnsafeBytes({ try XWingMLKEM768X25519.PrivateKey(seedRepresentation: $0, publicKey: nil) })
        else {
            throw ArborError(.corruptFile, "prekey \(id) does not hold a 32-byte X-Wing seed")
        }
        self.init(id: id, privateKey: key)
    }

    init(id: UInt32, privateKey: XWingMLKEM768X25519.PrivateKey) {
        self.id = id
        self.privateKey = privateKey
    }

    /// The 32-byte seed, for a store to keep (sealed).
    public var seed: SecretBytes {
        var raw = privateKey.seedRepresentation
        defer { raw.resetBytes(in: 0..<raw.count) }
        return SecretBytes(copying: raw)
    }

    /// What the node publishes.
    public var prekey: Prekey { Prekey(id: id, publicKey: privateKey.publicKey) }

    public var description: String { "PrekeySecret(\(id), redacted)" }
}
