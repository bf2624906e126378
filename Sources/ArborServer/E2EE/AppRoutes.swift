import Foundation
import Hummingbird

/// `GET /app/…`: the browser client (docs/e2ee.md §18), plain ES modules and a demo chat page,
/// read once from the module's resources. Open, like the OpenAPI document: it is public code; the
/// keys stay in the browser. A strict Content-Security-Policy allows scripts, styles and requests
/// from this origin only, and no inline script.
struct AppRoutes: NodeRoutes {
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

    /// The files, by name, with their content types. Only these names are served: no path is
    /// ever joined from the request.
    static let files: [String: (type: String, data: Data)] = {
        guard let directory = Bundle.module.url(forResource: "App", withExtension: nil),
            let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path)
        else { return [:] }
        let types = ["js": "text/javascript; charset=utf-8", "html": "text/html; charset=utf-8", "css": "text/css; charset=utf-8"]
        return Dictionary(
            uniqueKeysWithValues: names.compactMap { name in
                guard let type = types[(name as NSString).pathExtension],
                    let data = try? Data(contentsOf: directory.appendingPathComponent(name))
                else { return nil }
                return (name, (type, data))
            })
    }()

    let rateLimits: NodeRateLimits

    func register(on group: RouterGroup<NodeRequestContext>) {
        let app = group.add(middleware: OpenRouteRateLimit(rateLimits: rateLimits))
        // Relative module imports resolve against /app/, so the bare path redirects there.
        app.get { _, _ in Response(status: .seeOther, headers: [.location: "/app/chat.html"]) }
        app.get(":file") { _, context -> Response in
            let name = try context.parameters.require("file")
            guard let file = Self.files[name] else { throw NodeError(.notFound, "the browser client has no file '\(name)'") }
            return Response(
                status: .ok,
                headers: [
                    .contentType: file.type, .contentSecurityPolicy: Self.contentSecurityPolicy,
                    .init("X-Content-Type-Options")!: "nosniff", .init("Referrer-Policy")!: "no-referrer",
                    .cacheControl: "no-cache",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
        }
    }
}
