import ArborCore
import ArborE2EE

/// Another account as the node describes it: its name and identity public keys, and the safety
/// number two people compare (docs/e2ee.md §10) to know the node handed out the right keys.
public struct AccountIdentity: Sendable, Equatable {
    public let account: AccountID
    public let name: String
    public let publicKeys: IdentityPublicKeys

    public var safetyNumber: SafetyNumber { SafetyNumber(account: account, identity: publicKeys) }

    init(_ profile: WireAccountProfile) throws {
        account = try AccountID(hex: profile.account)
        name = profile.name
        publicKeys = profile.identityPublicKeys.keys
    }

    init(account: AccountID, name: String, publicKeys: IdentityPublicKeys) {
        self.account = account
        self.name = name
        self.publicKeys = publicKeys
    }
}

/// A signed-in device of the account (`GET /v1/e2ee/devices`).
public struct SignedInDevice: Sendable, Equatable, Codable {
    public let device: String
    public let name: String
    public let createdAt: Int64
    public let expiresAt: Int64
    /// Whether it is the session that asked.
    public let current: Bool
}
