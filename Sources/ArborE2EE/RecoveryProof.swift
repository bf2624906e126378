import ArborCore

/// How a client that recovered an account proves it to the node (docs/e2ee.md §16): a hybrid
/// signature by the account's identity, which only the master key opens, over
/// `"arbor/v1/e2ee/recovery" 0x00 ‖ account ‖ challenge ‖ new login public key`. The node then
/// takes the new password fields. Binding the new login key stops a replayed proof from setting
/// another password.
public enum RecoveryProof {
    static let label = "arbor/v1/e2ee/recovery"

    public static func message(account: AccountID, challenge: [UInt8], loginPublicKey: [UInt8]) -> [UInt8] {
        Array(label.utf8) + [0] + account.bytes + challenge + loginPublicKey
    }

    public static func sign(account: AccountID, challenge: [UInt8], loginPublicKey: [UInt8], with identity: IdentityKeys) throws
        -> [UInt8]
    {
        guard challenge.count == LoginProof.challengeSize else {
            throw ArborError(.invalidArgument, "a recovery challenge is \(LoginProof.challengeSize) bytes")
        }
        return try HybridSignature.sign(message(account: account, challenge: challenge, loginPublicKey: loginPublicKey), with: identity)
    }

    public static func isValid(
        _ signature: [UInt8], account: AccountID, challenge: [UInt8], loginPublicKey: [UInt8], identity: IdentityPublicKeys
    ) -> Bool {
        challenge.count == LoginProof.challengeSize
            && HybridSignature.isValid(
                signature, for: message(account: account, challenge: challenge, loginPublicKey: loginPublicKey), by: identity)
    }
}
