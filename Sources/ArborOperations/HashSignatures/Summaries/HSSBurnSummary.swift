import ArborCustody

/// Where `hss burn` left a key's leaf state.
public struct HSSBurnSummary: Codable, Sendable, Equatable {
    public let stateFile: String
    public let nextLeaf: UInt32
    public let remainingLeaves: UInt32

    public init(_ state: LMSLeafState, stateFile: String) {
        self.stateFile = stateFile
        nextLeaf = state.nextLeaf
        remainingLeaves = state.remainingLeaves
    }
}
