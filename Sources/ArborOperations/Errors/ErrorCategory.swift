import ArborCore

/// What kind of failure an error is, for the callers that must answer it with a number: the CLI
/// maps a category to an exit status, the server to an HTTP status.
///
/// Derived from `ArborError.Code` here and nowhere else, so the CLI and the server cannot disagree
/// on what a failure means. The error's code and message still travel with it; the category only
/// chooses the status.
public enum ErrorCategory: String, Sendable, Codable, CaseIterable {
    /// The request itself is wrong: malformed input, an unknown version, a bad argument or path.
    case badInput
    /// Something did not verify: a signature, a certificate or its chain, a tag, a token's epoch or
    /// origin, a replay.
    case verificationFailed
    /// The caller does not hold the key that opens it: wrong passphrase, no matching key, another keyring.
    case authentication
    /// What was named does not exist.
    case notFound
    /// What would be created exists already.
    case alreadyExists
    /// Two pieces of state that must agree do not (a seed, a bundle, a leaf state).
    case conflict
    /// Stored data is damaged.
    case corrupt
    /// Storage failed or is unsafe (permissions).
    case io
    /// A count beyond what is accepted before anything is authenticated.
    case limit
    /// The system could not do its part (no randomness): not the caller's fault.
    case `internal`

    public init(_ code: ArborError.Code) {
        switch code {
        case .malformedInput, .unsupportedVersion, .invalidPath, .invalidArgument: self = .badInput
        case .invalidSignature, .wrongIssuer, .certificateExpired, .certificateNotYetValid, .usageNotAllowed, .revoked,
            .untrustedRoot, .invalidRekey, .fingerprintMismatch, .authenticationFailed, .truncated, .unknownEpoch, .retiredEpoch,
            .replayed, .reordered, .wrongCluster, .originNotVerified, .notAuthorised:
            self = .verificationFailed
        case .wrongPassphrase, .noMatchingKey, .wrongKeyring: self = .authentication
        case .fileNotFound, .notFound: self = .notFound
        case .fileExists: self = .alreadyExists
        case .conflict, .rollback: self = .conflict
        case .corruptFile: self = .corrupt
        case .ioFailure, .insecurePermissions: self = .io
        case .limitExceeded: self = .limit
        case .randomnessUnavailable: self = .internal
        default: self = .badInput
        }
    }
}

extension ArborError {
    /// This error's category (see ``ErrorCategory``).
    public var category: ErrorCategory { ErrorCategory(code) }
}
