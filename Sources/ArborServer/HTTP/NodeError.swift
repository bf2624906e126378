import ArborCore
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The one error type the node's HTTP layer answers with: a stable machine code, the HTTP status
/// that goes with it, and a message that says what to fix. Messages never carry a token, a key,
/// or the caller's plaintext.
///
/// The body is always `{"error":{"code":"…","message":"…"}}`.
public struct NodeError: Error, HTTPResponseError, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Backing: String, Hashable, Sendable {
            case malformedJSON = "malformed_json"
            case badRequest = "bad_request"
            case missingToken = "missing_token"
            case invalidToken = "invalid_token"
            case permissionDenied = "permission_denied"
            case notFound = "not_found"
            case conflict = "conflict"
            case bodyTooLarge = "body_too_large"
            case invalidRequest = "invalid_request"
            case tooManyRequests = "too_many_requests"
            case rateLimited = "rate_limited"
            case unavailable = "unavailable"
            case auditUnavailable = "audit_unavailable"
            case internalError = "internal"
            case verificationFailed = "verification_failed"
            case limitExceeded = "limit_exceeded"
        }

        fileprivate let backing: Backing
        /// For the codes that carry an `ArborError` code: its name, in snake case.
        private let domain: String?
        private init(_ backing: Backing, domain: String? = nil) {
            self.backing = backing
            self.domain = domain
        }

        /// The code as it appears in the response body.
        public var description: String { domain ?? backing.rawValue }

        /// 400: the body is not JSON at all.
        public static let malformedJSON = Code(.malformedJSON)
        /// 400: a request the node cannot parse (a bad path parameter, say).
        public static let badRequest = Code(.badRequest)
        /// 401: no token header.
        public static let missingToken = Code(.missingToken)
        /// 401: the token is unknown, revoked, expired or used up (which one is logged, not told).
        public static let invalidToken = Code(.invalidToken)
        /// 403: the token is valid but its policies do not allow this.
        public static let permissionDenied = Code(.permissionDenied)
        /// 404: no such route (or not with this method), or no such object.
        public static let notFound = Code(.notFound)
        /// 409: the request contradicts the node's state.
        public static let conflict = Code(.conflict)
        /// 413: the body is larger than the route accepts.
        public static let bodyTooLarge = Code(.bodyTooLarge)
        /// 422: well-formed JSON with a wrong type, a missing field or a value out of range.
        public static let invalidRequest = Code(.invalidRequest)
        /// 429: a limit on the rate or number of requests.
        public static let tooManyRequests = Code(.tooManyRequests)
        /// 429: over a rate limit (requests per token, or failed authentications per address).
        public static let rateLimited = Code(.rateLimited)
        /// 503: the node is not ready.
        public static let unavailable = Code(.unavailable)
        /// 503: the audit log cannot be written, so the node answers nothing (as Vault does).
        public static let auditUnavailable = Code(.auditUnavailable)
        /// 500: a fault of the node; the detail is in its log only.
        public static let internalError = Code(.internalError)
        /// 413: more items than a batch accepts (`limit_exceeded`).
        public static let limitExceeded = Code(.limitExceeded)

        /// 400: something the caller sent did not verify (a tag, a context, an epoch, a keyring,
        /// a signature); the body's code is the `ArborError` code, such as `authentication_failed`
        /// or `retired_epoch`.
        public static func verificationFailed(_ code: ArborError.Code) -> Code {
            Code(.verificationFailed, domain: code.description.replacingOccurrences(of: " ", with: "_"))
        }

        var status: HTTPResponse.Status {
            switch backing {
            case .malformedJSON, .badRequest, .verificationFailed: .badRequest
            case .missingToken, .invalidToken: .unauthorized
            case .permissionDenied: .forbidden
            case .notFound: .notFound
            case .conflict: .conflict
            case .bodyTooLarge, .limitExceeded: .contentTooLarge
            case .invalidRequest: .unprocessableContent
            case .tooManyRequests, .rateLimited: .tooManyRequests
            case .unavailable, .auditUnavailable: .serviceUnavailable
            case .internalError: .internalServerError
            }
        }
    }

    public let code: Code
    /// Safe to show to the caller.
    public let message: String
    /// For a 429: the seconds after which the client may try again (`Retry-After`).
    public private(set) var retryAfterSeconds: Int?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// 429 `rate_limited`, with `Retry-After`.
    static func rateLimited(retryAfter seconds: Int, _ message: String) -> NodeError {
        var error = NodeError(.rateLimited, message)
        error.retryAfterSeconds = seconds
        return error
    }

    public var status: HTTPResponse.Status { code.status }
    public var description: String { "\(code): \(message)" }

    public static func == (lhs: NodeError, rhs: NodeError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        // Whoever turns the error into a response (the router, or the envelope), the audit entry
        // records its code.
        AuditTrail.note(errorCode: code.description)
        let body = ErrorBody(error: .init(code: code.description, message: message))
        var response = try JSONEncoder().encode(body, from: request, context: context)
        response.status = status
        if let retryAfterSeconds { response.headers[.retryAfter] = "\(retryAfterSeconds)" }
        return response
    }
}

/// `{"error":{"code":"…","message":"…"}}`.
public struct ErrorBody: Codable, Sendable, Equatable {
    public struct Detail: Codable, Sendable, Equatable {
        public let code: String
        public let message: String
    }

    public let error: Detail
}
