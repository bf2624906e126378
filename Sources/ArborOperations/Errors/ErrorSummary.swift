import ArborCore

/// A failure as JSON, in the node's envelope: `{"error":{"code":"…","message":"…","reason":"…"}}`.
/// `arbor … --json` prints it on standard output when a command fails, so that a script reads the
/// outcome from one place, success or not.
public struct ErrorSummary: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        /// The error's code in snake case (`corrupt_file`, `wrong_passphrase`, `revoked`), or
        /// `usage` for a command line that does not parse.
        public let code: String
        public let message: String
        /// For a verification failure only: what failed, in a word (see ``ArborError/verificationReason``).
        public let reason: String?

        public init(code: String, message: String, reason: String? = nil) {
            self.code = code
            self.message = message
            self.reason = reason
        }
    }

    public let error: Detail

    public init(_ error: ArborError) {
        self.error = Detail(code: error.code.snakeCase, message: error.message, reason: error.verificationReason)
    }

    /// A command line that does not parse.
    public init(usage message: String) {
        error = Detail(code: "usage", message: message, reason: nil)
    }
}

extension ArborError.Code {
    /// `corrupt file` → `corrupt_file`, as the node's error bodies spell codes.
    public var snakeCase: String { description.lowercased().replacing(" ", with: "_").replacing("/", with: "") }
}

extension ArborError {
    /// For a failure of the verification category, why it failed in a word a script can test:
    /// `revoked`, `expired`, `not_yet_valid`, `untrusted`, `wrong_issuer`, `wrong_cluster`,
    /// `usage_not_allowed`, `bad_signature`, `fingerprint_mismatch`, `tampered`, `truncated`,
    /// `replayed`, `unknown_epoch`, `retired_epoch`, `invalid_rekey`, `origin_not_verified`, `not_authorised`;
    /// nil otherwise.
    public var verificationReason: String? {
        guard category == .verificationFailed else { return nil }
        return switch code {
        case .certificateExpired: "expired"
        case .certificateNotYetValid: "not_yet_valid"
        case .untrustedRoot: "untrusted"
        case .invalidSignature: "bad_signature"
        case .authenticationFailed: "tampered"
        default: code.snakeCase
        }
    }
}
