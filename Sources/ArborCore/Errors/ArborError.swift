/// The one error type Arbor throws.
///
/// A struct with an extensible code rather than a public enum, so new codes can be added without
/// breaking callers. Equality is by code only. The message is safe to show: it never carries key
/// material, passphrases or plaintext.
public struct ArborError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case malformedInput = "malformed input"
            case unsupportedVersion = "unsupported version"
            case wrongPassphrase = "wrong passphrase"
            case corruptFile = "corrupt file"
            case invalidPath = "invalid path"
            case invalidArgument = "invalid argument"
            case invalidSignature = "invalid signature"
            case wrongIssuer = "wrong issuer"
            case certificateExpired = "certificate expired"
            case certificateNotYetValid = "certificate not yet valid"
            case usageNotAllowed = "usage not allowed"
            case revoked = "revoked"
            case untrustedRoot = "untrusted root"
            case invalidRekey = "invalid rekey"
            case fingerprintMismatch = "fingerprint mismatch"
            case randomnessUnavailable = "randomness unavailable"
            case fileExists = "file exists"
            case fileNotFound = "file not found"
            case ioFailure = "I/O failure"
            case authenticationFailed = "authentication failed"
            case truncated = "truncated"
            case noMatchingKey = "no matching key"
            case wrongKeyring = "wrong keyring"
            case unknownEpoch = "unknown epoch"
            case retiredEpoch = "retired epoch"
            case replayed = "replayed"
            case limitExceeded = "limit exceeded"
            case insecurePermissions = "insecure permissions"
            case wrongCluster = "wrong cluster"
            case conflict = "conflict"
            case originNotVerified = "origin not verified"
            case notAuthorised = "not authorised"
            case rollback = "rollback"
            case notFound = "not found"
            case reordered = "reordered"
        }

        fileprivate let backing: Backing
        private init(_ backing: Backing) { self.backing = backing }

        public var description: String { backing.rawValue }

        public static let malformedInput = Code(.malformedInput)
        public static let unsupportedVersion = Code(.unsupportedVersion)
        public static let wrongPassphrase = Code(.wrongPassphrase)
        public static let corruptFile = Code(.corruptFile)
        public static let invalidPath = Code(.invalidPath)
        public static let invalidArgument = Code(.invalidArgument)
        public static let invalidSignature = Code(.invalidSignature)
        public static let wrongIssuer = Code(.wrongIssuer)
        public static let certificateExpired = Code(.certificateExpired)
        public static let certificateNotYetValid = Code(.certificateNotYetValid)
        public static let usageNotAllowed = Code(.usageNotAllowed)
        public static let revoked = Code(.revoked)
        public static let untrustedRoot = Code(.untrustedRoot)
        public static let invalidRekey = Code(.invalidRekey)
        public static let fingerprintMismatch = Code(.fingerprintMismatch)
        public static let randomnessUnavailable = Code(.randomnessUnavailable)
        public static let fileExists = Code(.fileExists)
        public static let fileNotFound = Code(.fileNotFound)
        public static let ioFailure = Code(.ioFailure)
        /// Ciphertext or signature that does not authenticate: tampered, reordered or forged.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// Ciphertext cut short.
        public static let truncated = Code(.truncated)
        /// None of the given identities or keys opens the data.
        public static let noMatchingKey = Code(.noMatchingKey)
        public static let wrongKeyring = Code(.wrongKeyring)
        public static let unknownEpoch = Code(.unknownEpoch)
        public static let retiredEpoch = Code(.retiredEpoch)
        /// A message seen before within the replay window, or outside it.
        public static let replayed = Code(.replayed)
        /// An attacker-chosen count (epoch, tree height, work factor, share count) beyond what is
        /// accepted before anything is authenticated.
        public static let limitExceeded = Code(.limitExceeded)
        /// A file holding a secret is readable or writable by other users.
        public static let insecurePermissions = Code(.insecurePermissions)
        /// A chain verified, but under a cluster or path the caller did not pin.
        public static let wrongCluster = Code(.wrongCluster)
        /// Two pieces of state that must agree do not (a keyring seed, a bundle, leaf state).
        public static let conflict = Code(.conflict)
        /// A token's origin signature is missing or does not verify where one is required.
        public static let originNotVerified = Code(.originNotVerified)
        /// A valid signer that the tree does not authorise for what it signed (a sibling writing
        /// another node's cluster record, a non-root signing a trust bundle).
        public static let notAuthorised = Code(.notAuthorised)
        /// A change that would move held state backwards: a lowered keyring epoch, a lifted revocation.
        public static let rollback = Code(.rollback)
        /// What was named (an account, a conversation, a message) does not exist.
        public static let notFound = Code(.notFound)
        /// Authentic data delivered out of its authenticated order.
        public static let reordered = Code(.reordered)
    }

    public let code: Code
    /// What went wrong and, where it helps, what to do about it. Never contains secrets.
    public let message: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
    }

    public var description: String { "\(code): \(message)" }

    public static func == (lhs: ArborError, rhs: ArborError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension ArborError {
    static func malformed(_ what: String, file: String = #fileID, line: Int = #line) -> ArborError {
        ArborError(.malformedInput, what, file: file, line: line)
    }
}
