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
        (.originNotVerified, .verificationFailed), (.notAuthorised, .verificationFailed),
        (.wrongPassphrase, .authentication), (.noMatchingKey, .authentication), (.wrongKeyring, .authentication),
        (.fileNotFound, .notFound), (.fileExists, .alreadyExists), (.conflict, .conflict), (.rollback, .conflict), (.corruptFile, .corrupt),
        (.ioFailure, .io), (.insecurePermissions, .io), (.limitExceeded, .limit), (.randomnessUnavailable, .internal),
    ]

    @Test(arguments: expected)
    func everyCodeHasItsCategory(code: ArborError.Code, category: ErrorCategory) {
        #expect(ErrorCategory(code) == category)
        #expect(ArborError(code, "x").category == category)
    }

    @Test func theTableCoversEveryCodeOnce() {
        // 33 codes exist today; a new code must be added to the table (and so get a category on purpose).
        #expect(Self.expected.count == 33)
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

/// An error met while reading a file names it, and a content that does not parse is a corrupt file
/// (exit 5), whatever the parser called it; the other categories stay what they were.
@Suite struct FileErrorTests {
    static let rewritten: [(ArborError.Code, ArborError.Code)] = [
        (.malformedInput, .corruptFile), (.unsupportedVersion, .corruptFile), (.truncated, .corruptFile),
        (.corruptFile, .corruptFile), (.authenticationFailed, .authenticationFailed), (.fileNotFound, .fileNotFound),
        (.wrongPassphrase, .wrongPassphrase), (.invalidArgument, .invalidArgument), (.revoked, .revoked),
    ]

    @Test(arguments: rewritten)
    func aFileThatDoesNotParseIsCorrupt(code: ArborError.Code, becomes: ArborError.Code) {
        let named = ArborError(code, "the armored ARBOR CERTIFICATE CHAIN is truncated")
            .concerning(file: "bad/root.cert", label: "--anchor bad/root.cert")
        #expect(named.code == becomes)
        #expect(named.message == "--anchor bad/root.cert: the armored ARBOR CERTIFICATE CHAIN is truncated")
    }

    @Test func thePathIsNamedOnce() {
        let named = ArborError(.fileNotFound, "'bad/root.cert' does not exist; check the path")
            .concerning(file: "bad/root.cert", label: "--anchor bad/root.cert")
        #expect(named.message == "--anchor bad/root.cert: the file does not exist; check the path")
    }

    @Test func theJSONEnvelopeCarriesTheCodeAndForVerificationAReason() throws {
        let expired = ErrorSummary(ArborError(.certificateExpired, "eu/node-7 expired"))
        #expect(expired.error == .init(code: "certificate_expired", message: "eu/node-7 expired", reason: "expired"))
        #expect(ErrorSummary(ArborError(.revoked, "x")).error.reason == "revoked")
        #expect(ErrorSummary(ArborError(.untrustedRoot, "x")).error.reason == "untrusted")
        let corrupt = ErrorSummary(ArborError(.corruptFile, "x"))
        #expect(corrupt.error.code == "corrupt_file" && corrupt.error.reason == nil)
        #expect(ErrorSummary(ArborError(.ioFailure, "x")).error.code == "io_failure")
        #expect(ErrorSummary(usage: "Missing expected argument").error.code == "usage")
    }

    @Test(arguments: ErrorCategoryTests.expected.map(\.0))
    func everyVerificationFailureHasAReasonAndNothingElseHasOne(code: ArborError.Code) {
        let error = ArborError(code, "x")
        #expect((error.verificationReason != nil) == (error.category == .verificationFailed))
    }
}
