import Assignments
import AvatarStorage
import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import NIOCore

/// Users (admin): their account and articles, sessions, passwords and avatars.
struct UsersController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.listUsersEndpoint, listUsers)
        routes.add(Self.createUserEndpoint, createUser)
        routes.add(Self.getUserEndpoint, getUser)
        routes.add(Self.updateUserEndpoint, updateUser)
        routes.add(Self.deleteUserEndpoint, deleteUser)
        routes.add(Self.assignAccountEndpoint, assignAccount)
        routes.add(Self.getArticlesEndpoint, getArticles)
        routes.add(Self.setArticlesEndpoint, setArticles)
        routes.add(Self.listUserSessionsEndpoint, listUserSessions)
        routes.add(Self.revokeUserSessionsEndpoint, revokeUserSessions)
        routes.add(Self.resetPasswordEndpoint, resetPassword)
        routes.add(Self.getAvatarEndpoint, getAvatar)
        routes.add(Self.uploadAvatarEndpoint, uploadAvatar)
        routes.add(Self.deleteAvatarEndpoint, deleteAvatar)
    }

    static let listUsersEndpoint = Endpoint(
        .get,
        "/api/users",
        "listUsers",
        "Every user",
        tag: "users",
        access: .userReaders,
        response: .json(.arrayOf(.ref("User")))
    )
    /// `GET /api/users`: Every user.
    @Sendable func listUsers(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await api.users.list())
    }

    static let createUserEndpoint = Endpoint(
        .post,
        "/api/users",
        "createUser",
        "Create a user (ADMIN cannot be granted here: use `joycity users create-admin`)",
        tag: "users",
        access: .adminOnly,
        request: .json(.ref("UserCreate")),
        status: 201,
        response: .json(.ref("User"))
    )
    /// `POST /api/users`: Create a user (ADMIN cannot be granted here: use `joycity users create-admin`).
    @Sendable func createUser(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decode(UserCreate.self, from: request, context: context)
        let login = try Validation.login(body.login)
        let email = try Validation.email(body.email)
        let name = try Validation.name(body.name)
        try PasswordHasher.validate(body.password)
        if body.roles.contains(.admin) { throw Self.adminRefusal }
        let hash = try await api.hasher.hash(body.password)
        let user = try await api.users.create(
            login: login,
            email: email,
            name: name,
            passwordHash: hash,
            roles: body.roles,
            accountID: body.accountId
        )
        return try JSONBodies.response(user, status: .created)
    }

    static let getUserEndpoint = Endpoint(
        .get,
        "/api/users/{id}",
        "getUser",
        "One user",
        tag: "users",
        access: .userReaders,
        response: .json(.ref("User"))
    )
    /// `GET /api/users/{id}`: One user.
    @Sendable func getUser(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await api.users.user(id: try context.parameters.require("id", as: Int64.self)))
    }

    static let updateUserEndpoint = Endpoint(
        .patch,
        "/api/users/{id}",
        "updateUser",
        "Change a user's name, email, roles or disabled state",
        tag: "users",
        access: .adminOnly,
        request: .json(.ref("UserUpdate")),
        response: .json(.ref("User"))
    )
    /// `PATCH /api/users/{id}`: Change a user's name, email, roles or disabled state.
    @Sendable func updateUser(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(UserUpdate.self, from: request, context: context)
        let before = try await api.users.user(id: id)
        if let roles = body.roles, roles.contains(.admin) != before.roles.contains(.admin) { throw Self.adminRefusal }
        if body.disabled == true, before.roles.contains(.admin) { throw Self.adminRefusal }
        var changes = UserStore.Changes(roles: body.roles, disabled: body.disabled)
        if let name = body.name { changes.name = try Validation.name(name) }
        if let email = body.email { changes.email = .some(try Validation.email(email)) }
        let user = try await api.users.update(id: id, changes)
        if body.disabled == true {
            try await api.gate.revoke(userID: id, reason: "user disabled")
        } else {
            try await api.gate.forgetSessions(ofUser: id)
        }
        return try JSONBodies.response(user)
    }

    static let deleteUserEndpoint = Endpoint(
        .delete,
        "/api/users/{id}",
        "deleteUser",
        "Delete a user (an admin cannot be deleted here)",
        tag: "users",
        access: .adminOnly,
        status: 204
    )
    /// `DELETE /api/users/{id}`: Delete a user (an admin cannot be deleted here).
    @Sendable func deleteUser(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let user = try await api.users.user(id: id)
        if user.roles.contains(.admin) { throw Self.adminRefusal }
        let live = try await api.sessions.liveSessionIDs(userID: id)
        try await api.users.delete(id: id)
        await api.gate.markRevokedOrLog(live)
        return JSONBodies.noContent()
    }

    static let assignAccountEndpoint = Endpoint(
        .put,
        "/api/users/{id}/account",
        "assignAccount",
        "Put a user in one seller account (or none)",
        tag: "users",
        access: .teamLeads,
        request: .json(.ref("AccountAssignment")),
        response: .json(.ref("User"))
    )
    /// `PUT /api/users/{id}/account`: Put a user in one seller account (or none).
    @Sendable func assignAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(AccountAssignment.self, from: request, context: context)
        try Self.requireManages(try context.requirePrincipal(), try await api.users.user(id: id))
        if let account = body.accountId { _ = try await api.accounts.account(id: account) }
        let user = try await api.users.update(id: id, .init(accountID: .some(body.accountId)))
        try await api.gate.forgetSessions(ofUser: id)
        return try JSONBodies.response(user)
    }

    static let getArticlesEndpoint = Endpoint(
        .get,
        "/api/users/{id}/articles",
        "getArticles",
        "The articles (nmId) assigned to a user in their seller account this month (see /api/accounts/{id}/assignments/{month} for any month)",
        tag: "users",
        access: .teamLeads,
        response: .json(.ref("ArticleList"))
    )
    /// `GET /api/users/{id}/articles`: The articles (nmId) assigned to a user in their seller account.
    @Sendable func getArticles(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let user = try await api.users.user(id: id)
        try Self.requireManages(try context.requirePrincipal(), user)
        guard let account = user.accountId else { return try JSONBodies.response(ArticleList(accountId: nil, nmIds: [])) }
        return try JSONBodies.response(ArticleList(accountId: account, nmIds: try await api.assignments.currentArticles(user: id, account: account)))
    }

    static let setArticlesEndpoint = Endpoint(
        .put,
        "/api/users/{id}/articles",
        "setArticles",
        "Replace the articles (nmId) assigned to a user in their seller account this month (the rules of PUT /api/accounts/{id}/assignments/{month}/users/{user})",
        tag: "users",
        access: .teamLeads,
        request: .json(.ref("ArticleList")),
        response: .json(.ref("ArticleList"))
    )
    /// `PUT /api/users/{id}/articles`: Replace the articles (nmId) assigned to a user in their seller account.
    @Sendable func setArticles(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(ArticleList.self, from: request, context: context)
        let user = try await api.users.user(id: id)
        try Self.requireManages(try context.requirePrincipal(), user)
        guard let account = user.accountId else {
            throw APIError.conflict("user \(id) is in no seller account; assign one first (PUT /api/users/\(id)/account)")
        }
        if let given = body.accountId, given != account {
            throw APIError.conflict("user \(id) works in seller account \(account), not \(given)")
        }
        let principal = try context.requirePrincipal()
        try AssignmentsController.requireLeads(principal, account: account)
        let month = api.assignments.configuration.currentMonth()
        let change = SetChange(account: account, month: month, user: id, operation: .replace(Set(body.nmIds)))
        let results = try await api.assignments.commit(
            [change],
            context: ChangeContext(actorId: principal.userId, actor: principal.login, source: .api, force: body.force ?? false, comment: body.comment)
        )
        return try JSONBodies.response(ArticleList(accountId: account, nmIds: results.first?.nmIds ?? []))
    }

    static let listUserSessionsEndpoint = Endpoint(
        .get,
        "/api/users/{id}/sessions",
        "listUserSessions",
        "A user's signed-in devices",
        tag: "users",
        access: .roles([.admin, .support]),
        response: .json(.arrayOf(.ref("Session")))
    )
    /// `GET /api/users/{id}/sessions`: A user's signed-in devices.
    @Sendable func listUserSessions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await api.users.user(id: id)
        return try JSONBodies.response(try await api.sessions.list(userID: id, current: context.principal?.sessionId))
    }

    static let revokeUserSessionsEndpoint = Endpoint(
        .post,
        "/api/users/{id}/sessions/revoke",
        "revokeUserSessions",
        "Sign a user out everywhere",
        tag: "users",
        access: .adminOnly,
        response: .json(.ref("RevokedCount"))
    )
    /// `POST /api/users/{id}/sessions/revoke`: Sign a user out everywhere.
    @Sendable func revokeUserSessions(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        _ = try await api.users.user(id: id)
        let revoked = try await api.gate.revoke(userID: id, reason: "revoked by an admin")
        return try JSONBodies.response(RevokedCount(revoked: revoked.count))
    }

    static let resetPasswordEndpoint = Endpoint(
        .post,
        "/api/users/{id}/password",
        "resetPassword",
        "Set a user's password and sign them out everywhere",
        tag: "users",
        access: .adminOnly,
        request: .json(.ref("PasswordReset")),
        response: .json(.ref("RevokedCount"))
    )
    /// `POST /api/users/{id}/password`: Set a user's password and sign them out everywhere.
    @Sendable func resetPassword(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(PasswordReset.self, from: request, context: context)
        try PasswordHasher.validate(body.newPassword)
        _ = try await api.users.user(id: id)
        try await api.users.setPasswordHash(id: id, try await api.hasher.hash(body.newPassword))
        let revoked = try await api.gate.revoke(userID: id, reason: "password reset by an admin")
        return try JSONBodies.response(RevokedCount(revoked: revoked.count))
    }

    static let getAvatarEndpoint = Endpoint(
        .get,
        "/api/users/{id}/avatar",
        "getAvatar",
        "A user's avatar (JPEG)",
        tag: "users",
        access: .signedIn,
        response: .media("image/jpeg")
    )
    /// `GET /api/users/{id}/avatar`: A user's avatar (JPEG).
    @Sendable func getAvatar(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        guard let key = try await api.users.avatarKey(id: id) else { throw APIError.notFound("user \(id) has no avatar") }
        let avatars = try avatarStore()
        let bytes = try await avatars.load(key: key)
        return Response(
            status: .ok,
            headers: [
                .contentType: "image/jpeg", .cacheControl: "private, max-age=300", .eTag: "\"\(key.split(separator: "/").last?.prefix(16) ?? "")\"",
            ],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    static let uploadAvatarEndpoint = Endpoint(
        .put,
        "/api/auth/me/avatar",
        "uploadAvatar",
        "Upload your avatar: a JPEG of at most 512×512 and API_AVATAR_MAX_BYTES",
        tag: "auth",
        access: .signedIn,
        request: .media("image/jpeg"),
        response: .json(.ref("User"))
    )
    /// `PUT /api/auth/me/avatar`: Upload your avatar: a JPEG of at most 512×512 and API_AVATAR_MAX_BYTES.
    @Sendable func uploadAvatar(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let avatars = try avatarStore()
        if let type = request.headers[.contentType], !type.lowercased().hasPrefix("image/jpeg") {
            throw APIError.unsupportedMediaType("an avatar must be sent as image/jpeg, not \(type)")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: api.configuration.avatarMaxBytes)
        } catch {
            throw APIError.tooLarge("an avatar may be at most \(api.configuration.avatarMaxBytes) bytes")
        }
        let bytes = Array(buffer.readableBytesView)
        _ = try avatars.validate(bytes)
        let key = try await avatars.store(userID: principal.userId, bytes: bytes)
        if let old = try await api.users.setAvatarKey(id: principal.userId, key), old != key { await avatars.remove(key: old) }
        return try JSONBodies.response(try await api.users.user(id: principal.userId))
    }

    static let deleteAvatarEndpoint = Endpoint(
        .delete,
        "/api/auth/me/avatar",
        "deleteAvatar",
        "Remove your avatar",
        tag: "auth",
        access: .signedIn,
        status: 204
    )
    /// `DELETE /api/auth/me/avatar`: Remove your avatar.
    @Sendable func deleteAvatar(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        if let old = try await api.users.setAvatarKey(id: principal.userId, nil), let avatars = api.avatars { await avatars.remove(key: old) }
        return JSONBodies.noContent()
    }

    static let adminRefusal = APIError.forbidden(
        "ADMIN is protected: it is granted or removed, and admins deleted or disabled, only with `joycity users create-admin` / `revoke-admin` on the server"
    )

    /// Heads of sales place and assign articles to the managers they lead, nobody else: a target holding any other
    /// role (an admin, a director, another head of sales) is for an admin.
    /// - Throws: ``APIError`` 403 saying so.
    static func requireManages(_ caller: Principal, _ target: User) throws {
        guard !caller.roles.contains(.admin) else { return }
        guard !target.roles.isEmpty, target.roles.allSatisfy({ $0 == .manager }) else {
            let held = target.roles.isEmpty ? "no role" : target.roles.map(\.rawValue).joined(separator: ", ")
            throw APIError.forbidden("a head of sales manages managers only; user \(target.id) holds \(held). Ask an admin.")
        }
    }

    /// The avatar store, or 503 saying what to configure.
    func avatarStore() throws -> AvatarStore {
        guard let avatars = api.avatars else {
            throw APIError.unavailable("avatars need S3: set S3_BUCKET (or API_AVATAR_BUCKET), S3_ENDPOINT and credentials for the API")
        }
        return avatars
    }
}
