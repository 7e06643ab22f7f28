import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import Logging

/// Sign-in, refresh, sign-out, the caller's own profile, password and sessions.
struct AuthController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.loginEndpoint, login)
        routes.add(Self.refreshEndpoint, refresh)
        routes.add(Self.logoutEndpoint, logout)
        routes.add(Self.meEndpoint, me)
        routes.add(Self.updateMeEndpoint, updateMe)
        routes.add(Self.changePasswordEndpoint, changePassword)
        routes.add(Self.listSessionsEndpoint, listSessions)
        routes.add(Self.revokeSessionEndpoint, revokeSession)
        routes.add(Self.revokeOtherSessionsEndpoint, revokeOtherSessions)
    }

    static let loginEndpoint = Endpoint(
        .post,
        "/api/auth/login",
        "login",
        "Sign in with login (or email) and password; sets the session cookies",
        tag: "auth",
        access: .anyone,
        request: .json(.ref("LoginRequest")),
        response: .json(.ref("TokenResponse"))
    )
    /// `POST /api/auth/login`: Sign in with login (or email) and password; sets the session cookies.
    @Sendable func login(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        if request.headers[.origin] != nil { try api.authenticator.checkOrigin(request) }
        let body = try await JSONBodies.decode(LoginRequest.self, from: request, context: context)
        let identifier = body.login.trimmingCharacters(in: .whitespaces)
        guard !identifier.isEmpty, identifier.utf8.count <= 254, !body.password.isEmpty, body.password.utf8.count <= 1024 else {
            throw APIError.invalid("give a login (or email) and a password")
        }
        let ip = api.authenticator.clientAddress(request, context)
        try await api.loginLimiter.admit(ip: ip)
        let found = identifier.utf8.contains(0) ? nil : try await api.users.credentials(identifier: identifier)
        try await api.loginLimiter.admit(account: found.map { .user($0.id) } ?? .unknown(identifier), ip: ip)
        let matches = try await api.hasher.verify(body.password, hash: found?.hash)
        guard let found, matches, !found.disabled else {
            context.logger.notice("sign-in refused", metadata: ["client.ip": "\(ip)"])
            throw APIError.unauthenticated("the login or password is wrong")
        }
        await api.loginLimiter.remember(ip: ip, userID: found.id)
        let device = Self.device(body.device ?? request.headers[.userAgent])
        return try await startSession(userID: found.id, device: device, ip: ip, includeRefresh: body.includeRefreshToken ?? false, status: .ok)
    }

    static let refreshEndpoint = Endpoint(
        .post,
        "/api/auth/refresh",
        "refresh",
        "Rotate the refresh token (cookie or body) and get a new access token",
        tag: "auth",
        access: .anyone,
        request: .json(.ref("RefreshRequest")),
        response: .json(.ref("TokenResponse"))
    )
    /// `POST /api/auth/refresh`: Rotate the refresh token (cookie or body) and get a new access token.
    @Sendable func refresh(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decodeIfPresent(RefreshRequest.self, from: request, context: context)
        let presented: String
        if let token = body?.refreshToken, !token.isEmpty {
            presented = token
        } else if let cookie = request.cookies[Authenticator.refreshCookie]?.value, !cookie.isEmpty {
            try api.authenticator.checkOrigin(request)
            presented = cookie
        } else {
            throw APIError.unauthenticated("no refresh token: sign in again")
        }
        let next = TokenIssuer.newRefreshToken()
        let expires = Date().addingTimeInterval(Double(api.configuration.refreshTTL.components.seconds))
        let outcome = try await api.sessions.rotate(
            oldHash: TokenIssuer.hash(refreshToken: presented),
            newHash: TokenIssuer.hash(refreshToken: next),
            expiresAt: expires,
            grace: api.configuration.refreshReuseGrace
        )
        switch outcome {
        case .rotated(let sessionID, let userID):
            let user = try await api.users.user(id: userID)
            let access = try await api.tokens.accessToken(userID: userID, sessionID: sessionID, roles: user.roles)
            var response = try JSONBodies.response(
                TokenResponse(
                    accessToken: access.token,
                    tokenType: "Bearer",
                    expiresAt: access.expiresAt,
                    refreshToken: (body?.includeRefreshToken ?? false) || body?.refreshToken != nil ? next : nil,
                    user: user
                )
            )
            for cookie in api.authenticator.sessionCookies(access: access.token, refresh: next) { response.setCookie(cookie) }
            return response
        case .superseded:
            throw APIError.unauthenticated("this refresh token was just replaced by a concurrent refresh; use the newer one")
        case .reused(let sessionID, let userID):
            await api.gate.markRevokedOrLog([sessionID])
            context.logger.warning(
                "rotated refresh token presented again: session revoked",
                metadata: ["user.id": "\(userID)", "session.id": "\(sessionID)"]
            )
            var response = try APIError.unauthenticated("this refresh token was already used; the session was ended for safety. Sign in again")
                .response(from: request, context: context)
            for cookie in api.authenticator.clearedCookies() { response.setCookie(cookie) }
            return response
        case .invalid:
            throw APIError.unauthenticated("the refresh token is unknown, expired or revoked; sign in again")
        }
    }

    static let logoutEndpoint = Endpoint(
        .post,
        "/api/auth/logout",
        "logout",
        "End this session and clear the cookies",
        tag: "auth",
        access: .signedIn,
        status: 204
    )
    /// `POST /api/auth/logout`: End this session and clear the cookies.
    @Sendable func logout(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        try await api.gate.revoke(userID: principal.userId, only: principal.sessionId, reason: "signed out")
        var response = JSONBodies.noContent()
        for cookie in api.authenticator.clearedCookies() { response.setCookie(cookie) }
        return response
    }

    static let meEndpoint = Endpoint(.get, "/api/auth/me", "me", "The signed-in user", tag: "auth", access: .signedIn, response: .json(.ref("User")))
    /// `GET /api/auth/me`: The signed-in user.
    @Sendable func me(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await api.users.user(id: try context.requirePrincipal().userId))
    }

    static let updateMeEndpoint = Endpoint(
        .patch,
        "/api/auth/me",
        "updateMe",
        "Change your display name",
        tag: "auth",
        access: .signedIn,
        request: .json(.ref("ProfileUpdate")),
        response: .json(.ref("User"))
    )
    /// `PATCH /api/auth/me`: Change your display name.
    @Sendable func updateMe(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBodies.decode(ProfileUpdate.self, from: request, context: context)
        let user = try await api.users.update(id: principal.userId, .init(name: try Validation.name(body.name)))
        await api.gate.forget([principal.sessionId])
        return try JSONBodies.response(user)
    }

    static let changePasswordEndpoint = Endpoint(
        .post,
        "/api/auth/password",
        "changePassword",
        "Change your password (the current one is required); ends your other sessions",
        tag: "auth",
        access: .signedIn,
        request: .json(.ref("PasswordChange")),
        response: .json(.ref("RevokedCount"))
    )
    /// `POST /api/auth/password`: Change your password (the current one is required); ends your other sessions.
    @Sendable func changePassword(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let body = try await JSONBodies.decode(PasswordChange.self, from: request, context: context)
        // Each guess of the current password draws on the account's sign-in budget: a stolen access token is no
        // unlimited oracle.
        let ip = api.authenticator.clientAddress(request, context)
        try await api.loginLimiter.admit(ip: ip)
        try await api.loginLimiter.admit(account: .user(principal.userId), ip: ip)
        let current = try await api.users.passwordHash(id: principal.userId)
        guard body.currentPassword.utf8.count <= 1024, try await api.hasher.verify(body.currentPassword, hash: current) else {
            throw APIError.unprocessable(code: "wrong_password", "the current password is wrong")
        }
        try PasswordHasher.validate(body.newPassword)
        try await api.users.setPasswordHash(id: principal.userId, try await api.hasher.hash(body.newPassword))
        let revoked = try await api.gate.revoke(userID: principal.userId, except: principal.sessionId, reason: "password changed")
        return try JSONBodies.response(RevokedCount(revoked: revoked.count))
    }

    static let listSessionsEndpoint = Endpoint(
        .get,
        "/api/auth/sessions",
        "listSessions",
        "Your signed-in devices",
        tag: "auth",
        access: .signedIn,
        response: .json(.arrayOf(.ref("Session")))
    )
    /// `GET /api/auth/sessions`: Your signed-in devices.
    @Sendable func listSessions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        return try JSONBodies.response(try await api.sessions.list(userID: principal.userId, current: principal.sessionId))
    }

    static let revokeSessionEndpoint = Endpoint(
        .delete,
        "/api/auth/sessions/{sessionId}",
        "revokeSession",
        "Sign out one of your devices",
        tag: "auth",
        access: .signedIn,
        status: 204
    )
    /// `DELETE /api/auth/sessions/{sessionId}`: Sign out one of your devices.
    @Sendable func revokeSession(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let id = try context.parameters.require("sessionId", as: UUID.self)
        let revoked = try await api.gate.revoke(userID: principal.userId, only: id, reason: "revoked by the user")
        guard !revoked.isEmpty else { throw APIError.notFound("you have no live session \(id)") }
        return JSONBodies.noContent()
    }

    static let revokeOtherSessionsEndpoint = Endpoint(
        .post,
        "/api/auth/sessions/revoke-others",
        "revokeOtherSessions",
        "Sign out all your other devices",
        tag: "auth",
        access: .signedIn,
        response: .json(.ref("RevokedCount"))
    )
    /// `POST /api/auth/sessions/revoke-others`: Sign out all your other devices.
    @Sendable func revokeOtherSessions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let revoked = try await api.gate.revoke(userID: principal.userId, except: principal.sessionId, reason: "revoked by the user")
        return try JSONBodies.response(RevokedCount(revoked: revoked.count))
    }

    /// Creates a session and answers with its tokens and cookies.
    func startSession(userID: Int64, device: String?, ip: String, includeRefresh: Bool, status: HTTPResponse.Status) async throws -> Response {
        let user = try await api.users.user(id: userID)
        let refresh = TokenIssuer.newRefreshToken()
        let expires = Date().addingTimeInterval(Double(api.configuration.refreshTTL.components.seconds))
        let sessionID = try await api.sessions.create(
            userID: userID,
            device: device,
            ip: ip,
            refreshHash: TokenIssuer.hash(refreshToken: refresh),
            expiresAt: expires
        )
        let access = try await api.tokens.accessToken(userID: userID, sessionID: sessionID, roles: user.roles)
        var response = try JSONBodies.response(
            TokenResponse(
                accessToken: access.token,
                tokenType: "Bearer",
                expiresAt: access.expiresAt,
                refreshToken: includeRefresh ? refresh : nil,
                user: user
            ),
            status: status
        )
        for cookie in api.authenticator.sessionCookies(access: access.token, refresh: refresh) { response.setCookie(cookie) }
        return response
    }

    static func device(_ text: String?) -> String? {
        guard let text else { return nil }
        let cleaned = String(text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7F }.prefix(200).map(Character.init))
        return cleaned.isEmpty ? nil : cleaned
    }
}

extension APIRequestContext {
    /// The principal an authenticated route has (the route table set it).
    func requirePrincipal() throws -> Principal {
        guard let principal else { throw APIError.unauthenticated() }
        return principal
    }
}
