import Crypto
import Foundation

/// An Ed25519 signature and an ML-DSA-65 signature over the same domain-separated message. It
/// verifies only when both do, so it holds as long as either algorithm is unbroken.
struct HybridSignature: Sendable, Equatable {
    static let ed25519Size = 64
    static let mlDSA65Size = 3309
    static let encodedSize = ed25519Size + mlDSA65Size

    let ed25519: [UInt8]
    let mlDSA65: [UInt8]

    /// message = domain ‖ 0x00 ‖ body.
    static func signedMessage(domain: String, body: [UInt8]) -> [UInt8] { Array(domain.utf8) + [0] + body }

    static func sign(domain: String, body: [UInt8], with keys: NodeKeySet) throws -> HybridSignature {
        let message = signedMessage(domain: domain, body: body)
        return HybridSignature(
            ed25519: Array(try keys.signing.signature(for: message)),
            mlDSA65: Array(try keys.pqSigning.signature(for: message))
        )
    }

    func isValid(domain: String, body: [UInt8], publicKeys: PublicKeySet) -> Bool {
        let message = Self.signedMessage(domain: domain, body: body)
        // Evaluate both, then combine, so the result does not reveal which one failed first.
        let classical = publicKeys.signing.isValidSignature(ed25519, for: message)
        let postQuantum = publicKeys.pqSigning.isValidSignature(mlDSA65, for: message)
        return classical && postQuantum
    }

    func encode(into writer: inout ByteWriter) {
        writer.append(raw: ed25519)
        writer.append(raw: mlDSA65)
    }

    static func decode(from reader: inout ByteReader) throws -> HybridSignature {
        HybridSignature(ed25519: try reader.read(count: ed25519Size), mlDSA65: try reader.read(count: mlDSA65Size))
    }
}
