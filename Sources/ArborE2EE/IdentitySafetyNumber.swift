import ArborCore
import Crypto

extension SafetyNumber {
    static let identityLabel = "arbor/v1/e2ee/safety-number"

    /// The number two participants compare for one account (docs/e2ee.md §10): the trust bundles'
    /// digits and words (docs/keys.md §18) over the account id and its three identity public keys.
    public init(account: AccountID, identity: IdentityPublicKeys) {
        self.init(
            digest: Array(
                SHA512.hash(
                    data: Array(Self.identityLabel.utf8) + [0] + account.bytes + identity.receiving + identity.signing
                        + identity.pqSigning)))
    }
}
