import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import NIOCore

/// Liveness, readiness, the OpenAPI document and Swagger UI.
struct OperationsController: Sendable {
    let api: APIServices
    /// The routes, for the OpenAPI document.
    let routes: APIRoutes

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.healthEndpoint, health)
        routes.add(Self.readyEndpoint, ready)
        routes.add(Self.openapiEndpoint, openapi)
        routes.add(Self.swaggerUIEndpoint, swaggerUI)
        routes.add(Self.swaggerUIAssetEndpoint, swaggerUIAsset)
    }

    static let healthEndpoint = Endpoint(
        .get,
        "/api/health",
        "health",
        "Liveness: the process answers",
        tag: "operations",
        access: .anyone,
        response: .json(.ref("Health"))
    )
    /// `GET /api/health`: Liveness: the process answers.
    @Sendable func health(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(HealthStatus(status: "ok", checks: nil))
    }

    static let readyEndpoint = Endpoint(
        .get,
        "/api/ready",
        "ready",
        "Readiness: Redis and PostgreSQL answer (503 with the failing checks otherwise)",
        tag: "operations",
        access: .anyone,
        response: .json(.ref("Health"))
    )
    /// `GET /api/ready`: Readiness: Redis and PostgreSQL answer (503 with the failing checks otherwise).
    @Sendable func ready(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let checks = await api.readiness()
        let ok = checks.values.allSatisfy { $0 == "ok" }
        return try JSONBodies.response(HealthStatus(status: ok ? "ok" : "unavailable", checks: checks), status: ok ? .ok : .serviceUnavailable)
    }

    static let openapiEndpoint = Endpoint(
        .get,
        "/api/openapi.json",
        "openapi",
        "This document (OpenAPI 3.1)",
        tag: "operations",
        access: .anyone,
        response: .json(["type": "object"])
    )
    /// `GET /api/openapi.json`: This document (OpenAPI 3.1).
    @Sendable func openapi(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let data = try routes.documentData()
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static let swaggerUIEndpoint = Endpoint(
        .get,
        "/api/swagger-ui",
        "swaggerUI",
        "Swagger UI (needs the SWAGGER role)",
        tag: "operations",
        access: .roles([.swagger]),
        response: .media("text/html")
    )
    /// `GET /api/swagger-ui`: Swagger UI (needs the SWAGGER role).
    @Sendable func swaggerUI(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try swaggerAsset("index.html")
    }

    static let swaggerUIAssetEndpoint = Endpoint(
        .get,
        "/api/swagger-ui/{file}",
        "swaggerUIAsset",
        "Swagger UI assets (needs the SWAGGER role)",
        tag: "operations",
        access: .roles([.swagger]),
        response: .media("application/octet-stream")
    )
    /// `GET /api/swagger-ui/{file}`: Swagger UI assets (needs the SWAGGER role).
    @Sendable func swaggerUIAsset(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try swaggerAsset(try context.parameters.require("file"))
    }

    /// The page that starts Swagger UI on this API's document.
    static let swaggerIndex = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>JoyCity Fleet API</title>
        <link rel="stylesheet" href="/api/swagger-ui/swagger-ui.css"></head>
        <body><div id="swagger-ui"></div>
        <script src="/api/swagger-ui/swagger-ui-bundle.js"></script>
        <script src="/api/swagger-ui/swagger-ui-init.js"></script>
        </body></html>
        """

    static let swaggerInit = """
        window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", withCredentials: true });
        """

    static let swaggerFiles: Set<String> = ["swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png"]

    /// A Swagger UI file: the two pages made here, the rest from `API_SWAGGER_UI_DIR`.
    func swaggerAsset(_ file: String) throws -> Response {
        switch file {
        case "index.html":
            return Response(
                status: .ok,
                headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: Self.swaggerIndex))
            )
        case "swagger-ui-init.js":
            return Response(status: .ok, headers: [.contentType: "text/javascript"], body: .init(byteBuffer: ByteBuffer(string: Self.swaggerInit)))
        default:
            guard Self.swaggerFiles.contains(file) else { throw APIError.notFound("no Swagger UI file \(file.prefix(80))") }
            let path = "\(api.configuration.swaggerUIDirectory)/\(file)"
            guard let data = FileManager.default.contents(atPath: path) else {
                throw APIError.unavailable("Swagger UI is not installed: run scripts/install-deps.sh (or set API_SWAGGER_UI_DIR)")
            }
            let type = file.hasSuffix(".css") ? "text/css" : file.hasSuffix(".js") ? "text/javascript" : "image/png"
            return Response(
                status: .ok,
                headers: [.contentType: type, .cacheControl: "private, max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        }
    }
}
