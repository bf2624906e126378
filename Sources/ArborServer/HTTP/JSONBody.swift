import Foundation
import Hummingbird
import NIOCore

/// Reads a request's JSON body with the node's limit, and tells the client which mistake it made:
/// too large (413), not JSON (400), or JSON of the wrong shape (422, naming the field).
enum JSONBody {
    static func decode<Value: Decodable>(_ type: Value.Type, from request: Request, limit: Int) async throws -> Value {
        if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
            throw NodeError(.bodyTooLarge, "the request body is larger than \(limit) bytes")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw NodeError(.bodyTooLarge, "the request body is larger than \(limit) bytes")
        }
        // An empty body is an empty object, so that optional fields may all be left out.
        let data = buffer.readableBytes == 0 ? Data("{}".utf8) : Data(buffer.readableBytesView)
        do {
            return try JSONDecoder().decode(Value.self, from: data)
        } catch let error as DecodingError {
            throw classify(error)
        }
    }

    /// `dataCorrupted` at the top level is text that is not JSON; every other case is JSON whose
    /// shape is wrong. The message names the field, never its value.
    static func classify(_ error: DecodingError) -> NodeError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return NodeError(.malformedJSON, "the request body is not valid JSON")
        case .dataCorrupted(let context):
            return NodeError(.invalidRequest, "the field '\(path(context.codingPath))' has an invalid value")
        case .typeMismatch(let type, let context):
            return NodeError(.invalidRequest, "the field '\(path(context.codingPath))' must be \(describe(type))")
        case .valueNotFound(_, let context):
            return NodeError(.invalidRequest, "the field '\(path(context.codingPath))' must not be null")
        case .keyNotFound(let key, let context):
            return NodeError(.invalidRequest, "the field '\(path(context.codingPath + [key]))' is required")
        @unknown default:
            return NodeError(.invalidRequest, "the request body does not have the expected fields")
        }
    }

    private static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.isEmpty ? "(body)" : codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type, is UInt32.Type: "an integer"
        case is Bool.Type: "a boolean"
        case is [Any].Type: "an array"
        case is [String: Any].Type: "an object"
        default: "of another type"
        }
    }
}
