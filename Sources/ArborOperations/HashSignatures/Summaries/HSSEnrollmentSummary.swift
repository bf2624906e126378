import ArborCore
import ArborCustody

/// What `hss enroll` signed: the node it enrolled, the leaf it spent, who signed the request.
public struct HSSEnrollmentSummary: Codable, Sendable, Equatable {
    public let delegationFile: String
    public let leaf: UInt32
    public let remainingLeaves: UInt32
    public let nodeIdentifier: String
    public let nodePath: String
    public let signerKeyID: String

    public init(_ enrolled: HSSEnrollmentResult, request: HSSEnrollmentRequest, delegationFile: String) {
        self.delegationFile = delegationFile
        leaf = enrolled.leaf
        remainingLeaves = enrolled.remainingLeaves
        nodeIdentifier = Hex.encode(request.publicKey.identifier)
        nodePath = request.nodePath.description
        signerKeyID = enrolled.verified.leaf.keyID.hex
    }
}
