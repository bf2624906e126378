import ArborCore
import ArborOperations
import Testing

@testable import ArborCustody

/// Every ArborError code has one category, and the categories keep the CLI's exit statuses of
/// before the operations layer existed (2 input, 3 verification, 4 no key, 5 corrupt, 6 file).
@Suite struct ErrorCategoryTests {
    static let expected: [(ArborError.Code, ErrorCategory)] = [
        (.malformedInput, .badInput), (.unsupportedVersion, .badInput), (.invalidPath, .badInput), (.invalidArgument, .badInput),
        (.invalidSignature, .verificationFailed), (.wrongIssuer, .verificationFailed), (.certificateExpired, .verificationFailed),
        (.certificateNotYetValid, .verificationFailed), (.usageNotAllowed, .verificationFailed), (.revoked, .verificationFailed),
        (.untrustedRoot, .verificationFailed), (.invalidRekey, .verificationFailed), (.fingerprintMismatch, .verificationFailed),
        (.authenticationFailed, .verificationFailed), (.truncated, .verificationFailed), (.unknownEpoch, .verificationFailed),
        (.retiredEpoch, .verificationFailed), (.replayed, .verificationFailed), (.wrongCluster, .verificationFailed),
        (.originNotVerified, .verificationFailed),
        (.wrongPassphrase, .authentication), (.noMatchingKey, .authentication), (.wrongKeyring, .authentication),
        (.fileNotFound, .notFound), (.fileExists, .alreadyExists), (.conflict, .conflict), (.corruptFile, .corrupt),
        (.ioFailure, .io), (.insecurePermissions, .io), (.limitExceeded, .limit), (.randomnessUnavailable, .internal),
    ]

    @Test(arguments: expected)
    func everyCodeHasItsCategory(code: ArborError.Code, category: ErrorCategory) {
        #expect(ErrorCategory(code) == category)
        #expect(ArborError(code, "x").category == category)
    }

    @Test func theTableCoversEveryCodeOnce() {
        // 31 codes exist today; a new code must be added to the table (and so get a category on purpose).
        #expect(Self.expected.count == 31)
        #expect(Set(Self.expected.map(\.0)).count == Self.expected.count)
    }

    static let custody: [(CustodyError.Code, ArborError.Code)] = [
        (.invalidParameters, .invalidArgument), (.unsupportedParameterSet, .invalidArgument), (.keyExhausted, .invalidArgument),
        (.leafNotReserved, .invalidArgument), (.malformedKeyFile, .corruptFile), (.wrongKey, .invalidSignature),
        (.unauthenticatedRequest, .invalidSignature), (.limitExceeded, .limitExceeded), (.stateRollback, .conflict),
        (.revoked, .revoked), (.malformedShare, .malformedInput), (.checksumMismatch, .malformedInput),
        (.invalidPadding, .malformedInput), (.inconsistentShares, .malformedInput), (.duplicateShare, .malformedInput),
        (.insufficientShares, .malformedInput), (.digestMismatch, .malformedInput), (.malformedPublicKey, .malformedInput),
        (.malformedSignature, .malformedInput),
    ]

    @Test(arguments: custody)
    func custodyCodesBecomeTheirArborCodes(code: CustodyError.Code, arbor: ArborError.Code) {
        let converted = ArborError(CustodyError(code, "the share's checksum fails"), context: "line 4")
        #expect(converted.code == arbor)
        #expect(converted.message == "line 4: the share's checksum fails")
    }
}
