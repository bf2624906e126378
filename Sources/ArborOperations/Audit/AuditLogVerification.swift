import ArborCore

/// Checking a node's audit log against its signed heads: the rules around the chain verifier that
/// `audit verify` applies to a log file and a head kept outside it.
public enum AuditLogVerification {
    /// The head a log must reach, from the line kept outside the log (trimmed).
    /// - Parameter name: how that line's file is named in errors.
    public static func expectedHead(line: String, named name: String) throws -> AuditHead {
        guard case .head(let head) = try AuditRecord(line: line) else {
            throw ArborError(.invalidArgument, "'\(name)' holds an audit entry, not a head")
        }
        return head
    }

    /// The report once every complete line was added; a torn last line (no newline) is corrupt here,
    /// where the node itself drops it on restart: a verifier must not pass a log cut short.
    public static func finish(_ progress: AuditChainVerifier.Progress, tornLines: Int) throws -> AuditChainVerifier.Report {
        guard tornLines == 0 else {
            // Refused, not skipped: the verifier cannot tell a crash mid-write from a cut by hand.
            throw ArborError(
                .corruptFile,
                "the audit log's last line has no newline: it was cut short while being written or truncated; if the node crashed, starting it again drops that line (never synced, so never acknowledged)"
            )
        }
        return try progress.finish()
    }
}
