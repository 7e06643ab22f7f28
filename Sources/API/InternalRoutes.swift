import FleetStore
import Foundation
import Hummingbird

extension APIRoutes {
    /// `/internal/…`: for the proxy edge only (shared secret, 404 to everyone else; not in the public document).
    func addInternalRoutes(_ s: APIServices) {
        add(
            Endpoint(
                .post, "/internal/session", "internalSession",
                "Verify a browser's session (its Cookie header or the access token) and return the user, roles, account and assigned articles",
                tag: "internal", access: .internalSecret, request: .json(["type": "object"]), response: .json(["type": "object"]))
        ) { request, context in
            let body = try await JSONBodies.decode(InternalSessionRequest.self, from: request, context: context)
            let token = body.token ?? body.cookie.flatMap { Cookies(from: [$0])[Authenticator.accessCookie]?.value }
            guard let token, !token.isEmpty else { throw APIError.unauthenticated("no access token in the request") }
            let verified = try await s.tokens.verify(token)
            let principal = try await s.gate.principal(sessionID: verified.sessionID, userID: verified.userID)
            let user = try await s.users.user(id: principal.userId)
            let articles = try await principal.accountId.asyncMap { try await s.users.assignedArticles(userID: principal.userId, accountID: $0) } ?? []
            return try JSONBodies.response(InternalSession(user: user, sessionId: principal.sessionId, accountId: principal.accountId, articles: articles))
        }

        add(
            Endpoint(
                .get, "/internal/accounts/{id}/portal-credentials", "internalPortalCredentials", "An account's WB portal credentials, decrypted",
                tag: "internal", access: .internalSecret, response: .json(["type": "object"]))
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let json: String?
            do { json = try await s.accounts.portalCredentials(id: id) } catch { throw APIError.database(error) }
            guard let json else { throw APIError.notFound("seller account \(id) has no portal credentials (PUT /api/accounts/\(id)/portal-credentials)") }
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: .init(byteBuffer: .init(string: json)))
        }
    }
}
