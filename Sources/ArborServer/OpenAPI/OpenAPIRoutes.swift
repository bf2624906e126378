import Foundation
import Hummingbird

/// `GET /v1/openapi.json`: the node's OpenAPI 3.1 document, the same file as docs/openapi.json.
/// Open, like the health checks: it describes the API and holds nothing secret.
struct OpenAPIRoutes: NodeRoutes {
    /// The document, read once from the module's resources.
    static let document: Data? = Bundle.module.url(forResource: "openapi", withExtension: "json").flatMap { try? Data(contentsOf: $0) }

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("openapi.json") { _, _ -> Response in
            guard let document = Self.document else {
                throw NodeError(.internalError, "this build of the node lacks its OpenAPI document")
            }
            return Response(
                status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: document)))
        }
    }
}
