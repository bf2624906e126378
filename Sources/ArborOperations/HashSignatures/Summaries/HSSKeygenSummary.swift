import ArborCore
import ArborCustody

/// What `hss keygen` made: the files, the key's role and parameters, never its seeds.
public struct HSSKeygenSummary: Codable, Sendable, Equatable {
    public let keyFile: String
    public let stateFile: String
    /// The HSS public key or, for a node key, its enrollment request.
    public let publicFile: String
    public let role: String
    /// Levels of the HSS key this key tops; none for a node key, which learns its level on enrollment.
    public let levels: Int?
    public let lms: String
    public let lmots: String
    public let identifier: String
    public let leaves: UInt32

    public init(
        plan: HSSKeyPlan, key: LMSPrivateKey, request: HSSEnrollmentRequest?, keyFile: String, stateFile: String, publicFile: String
    ) {
        self.keyFile = keyFile
        self.stateFile = stateFile
        self.publicFile = publicFile
        role = plan.role(nodePath: request?.nodePath)
        levels = plan.isNodeKey ? nil : plan.levels
        lms = plan.parameters.description
        lmots = plan.otsParameters.description
        identifier = Hex.encode(key.identifier)
        leaves = plan.parameters.leafCount
    }
}
