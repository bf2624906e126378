import ArborCore
import Crypto

/// Signing in (docs/e2ee.md §7): the server sends a fresh random challenge; the client signs
/// `"arbor/v1/e2ee/login" 0x00 ‖ account id ‖ challenge` with the login key its password gives;
/// the server checks the signature with the public login key it keeps. Nothing the server holds
/// or sees opens the master key, and a challenge is good for one sign-in only (the server forgets
/// it once used).
public enum LoginProof {
    public static let challengeSize = 32
    static let domain = "arbor/v1/e2ee/login"

    public static func message(account: AccountID, challenge: [UInt8]) -> [UInt8] {
        Array(domain.utf8) + [0] + account.bytes + challenge
    }

    public static func sign(challenge: [UInt8], account: AccountID, with keys: PasswordKeys) throws -> [UInt8] {
        guard challenge.count == challengeSize else { throw ArborError(.invalidArgument, "a login challenge is \(challengeSize) bytes") }
        return Array(try keys.login.signature(for: message(account: account, challenge: challenge)))
    }

    /// Whether `signature` proves the password for `account` over `challenge`.
    public static func isValid(_ signature: [UInt8], challenge: [UInt8], account: AccountID, loginPublicKey: [UInt8]) -> Bool {
        guard challenge.count == challengeSize, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: loginPublicKey) else {
            return false
        }
        return key.isValidSignature(signature, for: message(account: account, challenge: challenge))
    }
}
