import FleetAuth
import FleetHTTP
import Foundation
import Hummingbird
import Logging
import NIOCore

/// Resolves the caller of a request: a bearer token (`Authorization: Bearer …`) or the access cookie, verified, with
/// its session checked live (``SessionGate``). Cookie-authenticated requests that change state must come from an
/// allowed origin (CSRF).
public struct Authenticator: Sendable {
    let tokens: TokenIssuer
    let gate: SessionGate
    let configuration: APIConfiguration

    /// The access cookie's name.
    public static let accessCookie = "joycity_access"
    /// The refresh cookie's name.
    public static let refreshCookie = "joycity_refresh"

    /// The principal of `request`, recorded in `context`.
    /// - Throws: ``APIError`` 401 without valid credentials, 403 for a cookie-authenticated state change from a
    ///   foreign or missing origin.
    public func authenticate(_ request: Request, _ context: inout APIRequestContext) async throws -> Principal {
        let token: String
        let source: APIRequestContext.CredentialSource
        if let header = request.headers[.authorization] {
            guard header.count > 7, header.prefix(7).lowercased() == "bearer " else {
                throw APIError.unauthenticated("the Authorization header must be `Bearer <access token>`")
            }
            token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            source = .bearer
        } else if let cookie = request.cookies[Self.accessCookie]?.value, !cookie.isEmpty {
            token = cookie
            source = .cookie
            try checkOrigin(request)
        } else {
            throw APIError.unauthenticated()
        }
        let verified = try await tokens.verify(token)
        let principal = try await gate.principal(sessionID: verified.sessionID, userID: verified.userID)
        context.principal = principal
        context.credentialSource = source
        context.logger[metadataKey: "user.id"] = .stringConvertible(principal.userId)
        return principal
    }

    /// CSRF: a state-changing request that carries cookies must name an allowed origin in `Origin` (or `Referer`).
    /// - Throws: ``APIError`` 403.
    public func checkOrigin(_ request: Request) throws {
        guard Self.changesState(request.method) else { return }
        let origin = request.headers[.origin] ?? request.headers[.referer].flatMap(Self.origin(ofURL:))
        guard let origin, origin != "null" else {
            throw APIError.forbidden(
                "a cookie-authenticated request that changes state must carry an Origin header (CSRF protection); scripts should send `Authorization: Bearer <token>` instead"
            )
        }
        guard configuration.allowsOrigin(origin) else {
            throw APIError.forbidden(
                "requests from origin \(origin) may not use the session cookie (CSRF protection); allowed origins are set by API_ALLOWED_ORIGINS"
            )
        }
    }

    static func changesState(_ method: HTTPRequest.Method) -> Bool {
        !(method == .get || method == .head || method == .options)
    }

    static func origin(ofURL text: String) -> String? {
        guard let url = URLComponents(string: text), let scheme = url.scheme, let host = url.host else { return nil }
        return url.port.map { "\(scheme)://\(host):\($0)" } ?? "\(scheme)://\(host)"
    }

    /// The client's address: the peer, or, when the peer is a trusted proxy, the last untrusted hop of
    /// `X-Forwarded-For`.
    public func clientAddress(_ request: Request, _ context: APIRequestContext) -> String {
        let peer = context.remoteAddress?.ipAddress ?? "unknown"
        guard configuration.trustedProxies.contains(peer), let forwarded = request.headers[.xForwardedFor] else { return peer }
        let hops = forwarded.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() where !configuration.trustedProxies.contains(hop) && !hop.isEmpty {
            return hop
        }
        return peer
    }

    /// The cookies a sign-in or refresh sets.
    func sessionCookies(access: String, refresh: String) -> [Cookie] {
        [
            cookie(Self.accessCookie, access, maxAge: Int(configuration.session.accessTTL.components.seconds), path: "/"),
            cookie(Self.refreshCookie, refresh, maxAge: Int(configuration.refreshTTL.components.seconds), path: "/api/auth"),
        ]
    }

    /// The cookies a sign-out sets (expired, empty).
    func clearedCookies() -> [Cookie] {
        [cookie(Self.accessCookie, "", maxAge: 0, path: "/"), cookie(Self.refreshCookie, "", maxAge: 0, path: "/api/auth")]
    }

    private func cookie(_ name: String, _ value: String, maxAge: Int, path: String) -> Cookie {
        let sameSite: Cookie.SameSite =
            switch configuration.cookieSameSite {
            case "Strict": .strict
            case "None": .none
            default: .lax
            }
        return Cookie(
            name: name,
            value: value,
            maxAge: maxAge,
            domain: configuration.cookieDomain,
            path: path,
            secure: configuration.cookieSecure,
            httpOnly: true,
            sameSite: sameSite
        )
    }
}
