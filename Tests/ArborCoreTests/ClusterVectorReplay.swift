@testable import ArborCore

/// Replays one case of the cluster vector files: its steps applied in order to a fresh reader.
enum ClusterVectorReplay {
    /// "valid", or the error code, per step; a step without a record deletes the key.
    static func outcomes(of steps: [(storedAt: String, record: String?)], anchor: TrustAnchor, at time: Int64) throws -> [String] {
        var ledger = ClusterLedger(root: anchor)
        return try steps.map { step in
            do {
                if let record = step.record {
                    try ledger.apply(try Hex.decode(record), storedAt: step.storedAt, at: time)
                } else {
                    try ledger.applyDeletion(of: step.storedAt)
                }
                return "valid"
            } catch let error as ArborError {
                return error.code.description
            }
        }
    }
}
