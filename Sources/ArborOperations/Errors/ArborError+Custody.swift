import ArborCore
import ArborCustody

extension ArborError {
    /// A custody error as an Arbor error: the same one-line message, under the code that gives it
    /// its category (input, verification, corrupt file, limit, conflict). `context` goes in front,
    /// e.g. "line 4" or a file name.
    public init(_ error: CustodyError, context: String? = nil) {
        let code: ArborError.Code =
            switch error.code {
            case .invalidParameters, .unsupportedParameterSet, .keyExhausted, .leafNotReserved: .invalidArgument
            case .malformedKeyFile: .corruptFile
            case .wrongKey, .unauthenticatedRequest: .invalidSignature
            case .limitExceeded: .limitExceeded
            case .stateRollback: .conflict
            case .revoked: .revoked
            default: .malformedInput
            }
        self.init(code, (context.map { "\($0): " } ?? "") + error.message)
    }
}

/// Runs `body`, turning custody errors into Arbor errors (with `context` in front), so that the
/// callers above see one error type.
public func custody<Result>(_ context: String? = nil, _ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as CustodyError {
        throw ArborError(error, context: context)
    }
}
