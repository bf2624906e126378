import ArborCore
import Crypto

/// What an account signs with (docs/e2ee.md §10): an Ed25519 signature (64 bytes) then an
/// ML-DSA-65 signature (3309 bytes, empty context) over the same message. It verifies only if
/// both do, so a forger must break both: Ed25519 for today, ML-DSA-65 against a quantum computer.
public enum HybridSignature {
    public static let ed25519Size = 64
    public static let mldsa65Size = 3309
    public static let size = ed25519Size + mldsa65Size

    public static func sign(_ message: [UInt8], with identity: IdentityKeys) throws -> [UInt8] {
        let classical = Array(try identity.signing.signature(for: message))
        let postQuantum = Array(try identity.pqSigning.signature(for: message))
        guard classical.count == ed25519Size, postQuantum.count == mldsa65Size else {
            throw ArborError(.invalidArgument, "a signature came out of an unexpected size")
        }
        return classical + postQuantum
    }

    public static func isValid(_ signature: [UInt8], for message: [UInt8], by keys: IdentityPublicKeys) -> Bool {
        guard signature.count == size,
            let classicalKey = try? Curve25519.Signing.PublicKey(rawRepresentation: keys.signing),
            let postQuantumKey = try? MLDSA65.PublicKey(rawRepresentation: keys.pqSigning)
        else { return false }
        let classicalValid = classicalKey.isValidSignature(signature[..<ed25519Size], for: message)
        let postQuantumValid = postQuantumKey.isValidSignature(signature[ed25519Size...], for: message)
        return classicalValid && postQuantumValid
    }
}
