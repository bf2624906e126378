import ArborCore
import ArborCustody

extension RootShareFiles {
    /// Splits the root into the share files of `plan`, after checking that they recombine to it.
    /// A plan where one share alone recovers the root is refused unless `unsafeThresholdOne`:
    /// recovery could not tell that share from a forged one.
    /// - Parameter slip39Passphrase: for SLIP-39, the passphrase ("" for none); for Arbor shares nil,
    ///   and "" when the caller was given one anyway (refused).
    public static func split(
        _ root: RootKey, plan: SplitPlan, unsafeThresholdOne: Bool, slip39Passphrase: String?, iterationExponent: Int, extendable: Bool
    ) throws -> (files: RootShareFiles, rootKeyID: KeyID) {
        try checkThreshold(plan, unsafeThresholdOne: unsafeThresholdOne)
        let rootKeyID = try root.node.keySet().keyID
        let secretBytes = root.secretBytes
        var secret = secretBytes.withUnsafeBytes { Array($0) }
        defer { secret.wipe() }
        let groups = try plan.split(
            secret, slip39Passphrase: slip39Passphrase, iterationExponent: iterationExponent, extendable: extendable)
        try plan.verifyRecombination(groups, slip39Passphrase: slip39Passphrase ?? "", expected: secretBytes)
        return (try RootShareFiles(groups: groups, plan: plan, rootKeyID: rootKeyID.hex), rootKeyID)
    }

    /// Refuses a plan where one share alone is the root, unless the caller said it is unsafe and meant it.
    public static func checkThreshold(_ plan: SplitPlan, unsafeThresholdOne: Bool) throws {
        guard !plan.oneShareRecovers || unsafeThresholdOne else {
            throw ArborError(
                .invalidArgument,
                "with threshold 1 one share alone is the root, and recovery cannot tell it from a forged one: "
                    + "choose a threshold of 2 or more, or pass --unsafe-threshold-one")
        }
    }
}
