/// An error thrown by the ``ArborCustody`` module.
///
/// Check ``code`` to react to a kind of failure; ``message`` is for people.
/// Equality and hashing look at ``code`` only, so a test can compare against
/// `CustodyError(code: .digestMismatch)`-like values built with the static
/// constructors. Messages never contain secret bytes: they name shares by their
/// position in the input and by public header fields only.
public struct CustodyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public let code: Code
    /// A human-readable explanation without secret material.
    public let message: String
    /// The 1-based position, in the caller's input list, of the share that is at
    /// fault, when one share can be singled out.
    public let shareNumber: Int?

    init(_ code: Code, _ message: String, shareNumber: Int? = nil) {
        self.code = code
        self.message = message
        self.shareNumber = shareNumber
    }

    public var description: String {
        "CustodyError.\(code): \(message)"
    }

    public static func == (lhs: CustodyError, rhs: CustodyError) -> Bool {
        lhs.code == rhs.code
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
    }

    /// What went wrong, as a closed set of public values.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: Hashable, Sendable {
            case invalidParameters
            case malformedShare
            case checksumMismatch
            case invalidPadding
            case inconsistentShares
            case duplicateShare
            case insufficientShares
            case digestMismatch
            case malformedPublicKey
            case malformedSignature
            case unsupportedParameterSet
            case keyExhausted
            case leafNotReserved
            case malformedKeyFile
            case wrongKey
            case limitExceeded
            case stateRollback
            case unauthenticatedRequest
            case revoked
        }

        fileprivate let backing: Backing

        fileprivate init(_ backing: Backing) {
            self.backing = backing
        }

        /// A caller-chosen parameter is out of range (threshold, share count, secret length, passphrase…).
        public static let invalidParameters = Code(.invalidParameters)
        /// A share or mnemonic cannot be parsed (wrong prefix, length, word, field value).
        public static let malformedShare = Code(.malformedShare)
        /// A share's checksum does not match its contents: the share was mistyped or corrupted.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// A SLIP-39 mnemonic has non-zero or too many padding bits.
        public static let invalidPadding = Code(.invalidPadding)
        /// Shares disagree on a field that must be common (set identifier, threshold, length…).
        public static let inconsistentShares = Code(.inconsistentShares)
        /// Two different shares claim the same index.
        public static let duplicateShare = Code(.duplicateShare)
        /// Fewer shares (or groups) than the threshold requires.
        public static let insufficientShares = Code(.insufficientShares)
        /// The shares are each well formed but do not combine to the secret they were split from.
        public static let digestMismatch = Code(.digestMismatch)
        /// LMS/HSS public key bytes cannot be parsed.
        public static let malformedPublicKey = Code(.malformedPublicKey)
        /// LMS/HSS signature bytes cannot be parsed.
        public static let malformedSignature = Code(.malformedSignature)
        /// An LMS or LM-OTS type code that this module does not implement.
        public static let unsupportedParameterSet = Code(.unsupportedParameterSet)
        /// Every one-time leaf of a hash-based key has been used.
        public static let keyExhausted = Code(.keyExhausted)
        /// A signing call named a leaf outside the tree or outside its reservation.
        public static let leafNotReserved = Code(.leafNotReserved)
        /// An Arbor HSS key file, leaf state or delegation cannot be parsed, or its checksum does not match.
        public static let malformedKeyFile = Code(.malformedKeyFile)
        /// A state, delegation or link belongs to a different key than the one it was used with.
        public static let wrongKey = Code(.wrongKey)
        /// An attacker-chosen count (iteration exponent, tree size, share count) beyond what is
        /// accepted before any work is done on it.
        public static let limitExceeded = Code(.limitExceeded)
        /// A leaf state would move backwards, handing out leaves that may have been used.
        public static let stateRollback = Code(.stateRollback)
        /// An enrollment request whose signature, signer or node path does not check out.
        public static let unauthenticatedRequest = Code(.unauthenticatedRequest)
        /// A delegation (an HSS link) that the level above has revoked.
        public static let revoked = Code(.revoked)

        public var description: String {
            String(describing: backing)
        }
    }
}

extension CustodyError {
    static func invalidParameters(_ message: String) -> CustodyError {
        CustodyError(.invalidParameters, message)
    }

    static func malformedShare(_ message: String, shareNumber: Int? = nil) -> CustodyError {
        CustodyError(.malformedShare, message, shareNumber: shareNumber)
    }
}
