import FleetStore
import Hummingbird

/// Who may call an endpoint.
public enum Access: Sendable, Equatable {
    /// Anyone, without credentials.
    case anyone
    /// Any signed-in user.
    case signedIn
    /// A signed-in user holding at least one of these roles.
    case roles(Set<UserRole>)
    /// The proxy edge, with the shared secret (`X-Internal-Secret`); everyone else gets 404.
    case internalSecret

    /// Whether a signed-in user with `roles` is admitted.
    public func admits(_ roles: [UserRole]) -> Bool {
        switch self {
        case .anyone, .signedIn: true
        case .roles(let allowed): roles.contains { allowed.contains($0) }
        case .internalSecret: false
        }
    }
}

/// One route: its method and path, who may call it, and what the OpenAPI document says of it. The router and the
/// document are both built from the same list (``APIRoutes``), so the document is true to the routes.
public struct Endpoint: Sendable {
    /// A request or response body.
    public enum Body: Sendable {
        /// `application/json` with this schema.
        case json(OpenAPIValue)
        /// Raw bytes of a media type (`image/jpeg`, `text/html`, …).
        case media(String)
        /// Raw bytes of any of these media types (an upload whose kind the server tells from its bytes).
        case files([String])
    }

    public var method: HTTPRequest.Method
    /// OpenAPI form: `/api/users/{id}`.
    public var path: String
    public var operationID: String
    public var summary: String
    public var tag: String
    public var access: Access
    /// Query parameters: name, schema, required.
    public var query: [(name: String, schema: OpenAPIValue, required: Bool)]
    public var requestBody: Body?
    public var successStatus: Int
    public var response: Body?

    public init(
        _ method: HTTPRequest.Method,
        _ path: String,
        _ operationID: String,
        _ summary: String,
        tag: String,
        access: Access,
        query: [(name: String, schema: OpenAPIValue, required: Bool)] = [],
        request: Body? = nil,
        status: Int = 200,
        response: Body? = nil
    ) {
        self.method = method
        self.path = path
        self.operationID = operationID
        self.summary = summary
        self.tag = tag
        self.access = access
        self.query = query
        self.requestBody = request
        self.successStatus = status
        self.response = response
    }

    /// The router's form of the path: `/api/users/:id`.
    public var routerPath: String {
        path.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? ":" + segment.dropFirst().dropLast() : segment
        }.joined(separator: "/")
    }

    /// The names of the path parameters.
    public var pathParameters: [String] {
        path.split(separator: "/").compactMap { segment in
            segment.hasPrefix("{") && segment.hasSuffix("}") ? String(segment.dropFirst().dropLast()) : nil
        }
    }
}
