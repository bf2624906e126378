import ArborCustody

/// What `hss install` made of a node key: its level, and whether it now signs messages or enrolls.
public struct HSSInstallSummary: Codable, Sendable, Equatable {
    public let keyFile: String
    public let level: Int
    public let levels: Int
    public let signsMessages: Bool

    public init(installed: HSSKeyFile, delegation: HSSDelegation, keyFile: String) {
        self.keyFile = keyFile
        level = installed.depth
        levels = delegation.publicKey.levels
        signsMessages = installed.signsMessages
    }
}
