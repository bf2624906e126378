import ArborCore
import ArborCustody

/// Rebuilding the root from shares: the rules that keep forged shares from recovering a root of
/// someone else's choosing.
public enum RootRecovery {
    /// Combines shares given all at once (a file). A share of threshold 1 is refused unless
    /// `acceptsThresholdOne`: one such share is a root by itself, and anyone can make one.
    public static func combine(
        _ lines: [ShareLine], slip39: Bool, acceptsThresholdOne: Bool, slip39Passphrase: String
    ) throws -> [UInt8] {
        let shares = try ParsedShares(lines, slip39: slip39)
        if !acceptsThresholdOne, let line = shares.firstAloneRecovering(lines: lines) {
            throw ThresholdOne.refusal(line: line)
        }
        return try shares.combine(lines: lines, slip39Passphrase: slip39Passphrase)
    }

    /// The root the secret makes (the secret is consumed), checked against the key id of the root
    /// certificate when one is given: shares of another root recover nothing.
    /// - Parameter certificateName: how the certificate is named in the error (its file).
    public static func root(
        consuming secret: inout [UInt8], expectedKeyID: KeyID?, certificateName: String
    ) throws -> (root: RootKey, keyID: KeyID) {
        let recovered = try RootKey(bytes: SecretBytes(consuming: &secret))
        let keyID = try recovered.node.keySet().keyID
        if let expectedKeyID, keyID != expectedKeyID {
            throw ArborError(
                .fingerprintMismatch,
                "the recovered root has key id \(keyID.hex), but \(certificateName) is for \(expectedKeyID.hex): these shares belong to another root; nothing was written"
            )
        }
        return (recovered, keyID)
    }
}
