import ArborCore

/// The kinds of failure an age file can have, as `ArborError`s. Each has its own code or message,
/// so a caller (and the CLI) can tell a damaged header from a wrong identity, a modified chunk
/// from a truncated file. Messages never include key material or plaintext.
extension ArborError {
    /// The ASCII armor is not the strict PEM form age requires.
    static func ageArmor(_ what: String, file: String = #fileID, line: Int = #line) -> ArborError {
        ArborError(.malformedInput, "invalid age armor: \(what)", file: file, line: line)
    }

    /// The header does not parse, or a stanza addressed to one of our identities is malformed.
    static func ageHeader(_ what: String, file: String = #fileID, line: Int = #line) -> ArborError {
        ArborError(.corruptFile, "invalid age header: \(what)", file: file, line: line)
    }

    /// The payload is structurally wrong in a way that is not plain truncation or a bad tag.
    static func agePayload(_ what: String, file: String = #fileID, line: Int = #line) -> ArborError {
        ArborError(.corruptFile, "invalid age payload: \(what)", file: file, line: line)
    }
}
