import ArborCore

/// What a parent is asked to issue: the new node's path and usages, for how long, what it is
/// granted, and the one-time key it made, with the code shown on its screen.
public struct EnrollmentRequest: Sendable {
    /// How long a bundle may wait to be opened, by default: an hour.
    public static let defaultLifetime: Int64 = 3600

    public let path: TreePath
    public let usage: KeyUsage
    /// Validity of the node's certificates, in days (1 to 36500).
    public let validityDays: Int
    /// The new node's one-time key, `age1pq1…`.
    public let recipient: String
    /// The code the new node printed: it must be the recipient's (a swapped recipient is refused).
    public let code: String
    public let keyrings: [MeshKeyring]
    public let trustBundles: [TrustBundle]
    public let etcdEndpoints: [String]
    /// Seconds from issue to expiry.
    public let lifetime: Int64

    public init(
        path: TreePath, usage: KeyUsage = [.sign, .keyAgreement], validityDays: Int = 365, recipient: String, code: String,
        keyrings: [MeshKeyring] = [], trustBundles: [TrustBundle] = [], etcdEndpoints: [String] = [],
        lifetime: Int64 = EnrollmentRequest.defaultLifetime
    ) {
        self.path = path
        self.usage = usage
        self.validityDays = validityDays
        self.recipient = recipient
        self.code = code
        self.keyrings = keyrings
        self.trustBundles = trustBundles
        self.etcdEndpoints = etcdEndpoints
        self.lifetime = lifetime
    }
}
