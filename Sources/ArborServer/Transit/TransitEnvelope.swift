import Foundation
import Hummingbird

/// Vault's answer envelope: clients read `data`; the other fields are Vault's, with the values a
/// Transit answer carries (no lease, no wrapping, no auth).
struct TransitEnvelope<Payload: Encodable>: Encodable {
    let requestID: String
    let payload: Payload

    private enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case leaseID = "lease_id"
        case renewable
        case leaseDuration = "lease_duration"
        case data
        case wrapInfo = "wrap_info"
        case warnings, auth
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(requestID, forKey: .requestID)
        try container.encode("", forKey: .leaseID)
        try container.encode(false, forKey: .renewable)
        try container.encode(0, forKey: .leaseDuration)
        try container.encode(payload, forKey: .data)
        try container.encodeNil(forKey: .wrapInfo)
        try container.encodeNil(forKey: .warnings)
        try container.encodeNil(forKey: .auth)
    }

    /// The envelope as a JSON response with `status`.
    static func response(_ payload: Payload, status: HTTPResponse.Status = .ok, context: NodeRequestContext) throws -> Response {
        let body = try JSONEncoder().encode(Self(requestID: context.id, payload: payload))
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
