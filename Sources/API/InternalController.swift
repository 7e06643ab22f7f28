import Assignments
import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird

/// `/internal/…`: for the proxy edge only (shared secret, 404 to everyone else; not in the public document).
struct InternalController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.internalSessionEndpoint, internalSession)
        routes.add(Self.internalPortalCredentialsEndpoint, internalPortalCredentials)
    }

    static let internalSessionEndpoint = Endpoint(
        .post,
        "/internal/session",
        "internalSession",
        "Verify a browser's session (its Cookie header or the access token) and return the user, roles, account and assigned articles",
        tag: "internal",
        access: .internalSecret,
        request: .json(["type": "object"]),
        response: .json(["type": "object"])
    )
    /// `POST /internal/session`: Verify a browser's session (its Cookie header or the access token) and return the user, roles, account and assigned articles.
    @Sendable func internalSession(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decode(InternalSessionRequest.self, from: request, context: context)
        let token = body.token ?? body.cookie.flatMap { Cookies(from: [$0])[Authenticator.accessCookie]?.value }
        guard let token, !token.isEmpty else { throw APIError.unauthenticated("no access token in the request") }
        let verified = try await api.tokens.verify(token)
        let principal = try await api.gate.principal(sessionID: verified.sessionID, userID: verified.userID)
        let user = try await api.users.user(id: principal.userId)
        let articles = try await principal.accountId.asyncMap { try await api.assignments.currentArticles(user: principal.userId, account: $0) } ?? []
        return try JSONBodies.response(
            InternalSession(user: user, sessionId: principal.sessionId, accountId: principal.accountId, articles: articles)
        )
    }

    static let internalPortalCredentialsEndpoint = Endpoint(
        .get,
        "/internal/accounts/{id}/portal-credentials",
        "internalPortalCredentials",
        "An account's WB portal credentials, decrypted",
        tag: "internal",
        access: .internalSecret,
        response: .json(["type": "object"])
    )
    /// `GET /internal/accounts/{id}/portal-credentials`: An account's WB portal credentials, decrypted.
    @Sendable func internalPortalCredentials(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        guard let json = try await api.accounts.portalCredentials(id: id) else {
            throw APIError.notFound("seller account \(id) has no portal credentials (PUT /api/accounts/\(id)/portal-credentials)")
        }
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: .init(string: json))
        )
    }
}
