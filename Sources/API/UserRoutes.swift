import Foundation
import Hummingbird
import NIOCore

extension APIRoutes {
    static let userReaders: Access = .roles([.admin, .director, .headOfSales, .support])
    static let teamLeads: Access = .roles([.admin, .headOfSales])
    static let adminOnly: Access = .roles([.admin])

    /// Users (admin), their account and articles, sessions, passwords and avatars.
    func addUserRoutes(_ s: APIServices) {
        add(Endpoint(.get, "/api/users", "listUsers", "Every user", tag: "users", access: Self.userReaders, response: .json(.arrayOf(.ref("User"))))) { _, _ in
            try JSONBodies.response(try await s.users.list())
        }

        add(
            Endpoint(
                .post, "/api/users", "createUser", "Create a user (ADMIN cannot be granted here: use `joycity users create-admin`)", tag: "users",
                access: Self.adminOnly, request: .json(.ref("UserCreate")), status: 201, response: .json(.ref("User")))
        ) { request, context in
            let body = try await JSONBodies.decode(UserCreate.self, from: request, context: context)
            let login = try Validation.login(body.login)
            let email = try Validation.email(body.email)
            let name = try Validation.name(body.name)
            try PasswordHasher.validate(body.password)
            if body.roles.contains(.admin) { throw Self.adminRefusal }
            let hash = try await s.hasher.hash(body.password)
            let user = try await s.users.create(login: login, email: email, name: name, passwordHash: hash, roles: body.roles, accountID: body.accountId)
            return try JSONBodies.response(user, status: .created)
        }

        add(Endpoint(.get, "/api/users/{id}", "getUser", "One user", tag: "users", access: Self.userReaders, response: .json(.ref("User")))) { _, context in
            try JSONBodies.response(try await s.users.user(id: try context.parameters.require("id", as: Int64.self)))
        }

        add(
            Endpoint(
                .patch, "/api/users/{id}", "updateUser", "Change a user's name, email, roles or disabled state", tag: "users", access: Self.adminOnly,
                request: .json(.ref("UserUpdate")), response: .json(.ref("User")))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(UserUpdate.self, from: request, context: context)
            let before = try await s.users.user(id: id)
            if let roles = body.roles, roles.contains(.admin) != before.roles.contains(.admin) { throw Self.adminRefusal }
            if body.disabled == true, before.roles.contains(.admin) { throw Self.adminRefusal }
            var changes = UserStore.Changes(roles: body.roles, disabled: body.disabled)
            if let name = body.name { changes.name = try Validation.name(name) }
            if let email = body.email { changes.email = .some(try Validation.email(email)) }
            let user = try await s.users.update(id: id, changes)
            if body.disabled == true {
                try await s.gate.revoke(userID: id, reason: "user disabled")
            } else {
                try await s.gate.forgetSessions(ofUser: id)
            }
            return try JSONBodies.response(user)
        }

        add(
            Endpoint(.delete, "/api/users/{id}", "deleteUser", "Delete a user (an admin cannot be deleted here)", tag: "users", access: Self.adminOnly, status: 204)
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let user = try await s.users.user(id: id)
            if user.roles.contains(.admin) { throw Self.adminRefusal }
            let live = try await s.sessions.liveSessionIDs(userID: id)
            try await s.users.delete(id: id)
            await s.gate.markRevokedOrLog(live)
            return JSONBodies.noContent()
        }

        add(
            Endpoint(
                .put, "/api/users/{id}/account", "assignAccount", "Put a user in one seller account (or none)", tag: "users", access: Self.teamLeads,
                request: .json(.ref("AccountAssignment")), response: .json(.ref("User")))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(AccountAssignment.self, from: request, context: context)
            if let account = body.accountId { _ = try await Self.account(s, account) }
            let user = try await s.users.update(id: id, .init(accountID: .some(body.accountId)))
            try await s.gate.forgetSessions(ofUser: id)
            return try JSONBodies.response(user)
        }

        add(
            Endpoint(
                .get, "/api/users/{id}/articles", "getArticles", "The articles (nmId) assigned to a user in their seller account", tag: "users",
                access: Self.teamLeads, response: .json(.ref("ArticleList")))
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let user = try await s.users.user(id: id)
            guard let account = user.accountId else { return try JSONBodies.response(ArticleList(accountId: nil, nmIds: [])) }
            return try JSONBodies.response(ArticleList(accountId: account, nmIds: try await s.users.assignedArticles(userID: id, accountID: account)))
        }

        add(
            Endpoint(
                .put, "/api/users/{id}/articles", "setArticles", "Replace the articles (nmId) assigned to a user in their seller account",
                tag: "users", access: Self.teamLeads, request: .json(.ref("ArticleList")), response: .json(.ref("ArticleList")))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(ArticleList.self, from: request, context: context)
            let user = try await s.users.user(id: id)
            guard let account = user.accountId else { throw APIError.conflict("user \(id) is in no seller account; assign one first (PUT /api/users/\(id)/account)") }
            if let given = body.accountId, given != account {
                throw APIError.conflict("user \(id) works in seller account \(account), not \(given)")
            }
            guard body.nmIds.count <= 100_000, body.nmIds.allSatisfy({ $0 > 0 }) else {
                throw APIError.invalid("nmIds are positive WB article numbers, at most 100000 of them")
            }
            try await s.users.setAssignedArticles(userID: id, accountID: account, body.nmIds)
            return try JSONBodies.response(ArticleList(accountId: account, nmIds: try await s.users.assignedArticles(userID: id, accountID: account)))
        }

        add(
            Endpoint(
                .get, "/api/users/{id}/sessions", "listUserSessions", "A user's signed-in devices", tag: "users", access: .roles([.admin, .support]),
                response: .json(.arrayOf(.ref("Session"))))
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            _ = try await s.users.user(id: id)
            return try JSONBodies.response(try await s.sessions.list(userID: id, current: context.principal?.sessionId))
        }

        add(
            Endpoint(
                .post, "/api/users/{id}/sessions/revoke", "revokeUserSessions", "Sign a user out everywhere", tag: "users", access: Self.adminOnly,
                response: .json(.ref("RevokedCount")))
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            _ = try await s.users.user(id: id)
            let revoked = try await s.gate.revoke(userID: id, reason: "revoked by an admin")
            return try JSONBodies.response(RevokedCount(revoked: revoked.count))
        }

        add(
            Endpoint(
                .post, "/api/users/{id}/password", "resetPassword", "Set a user's password and sign them out everywhere", tag: "users",
                access: Self.adminOnly, request: .json(.ref("PasswordReset")), response: .json(.ref("RevokedCount")))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(PasswordReset.self, from: request, context: context)
            try PasswordHasher.validate(body.newPassword)
            _ = try await s.users.user(id: id)
            try await s.users.setPasswordHash(id: id, try await s.hasher.hash(body.newPassword))
            let revoked = try await s.gate.revoke(userID: id, reason: "password reset by an admin")
            return try JSONBodies.response(RevokedCount(revoked: revoked.count))
        }

        add(
            Endpoint(
                .get, "/api/users/{id}/avatar", "getAvatar", "A user's avatar (JPEG)", tag: "users", access: .signedIn, response: .media("image/jpeg"))
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            guard let key = try await s.users.avatarKey(id: id) else { throw APIError.notFound("user \(id) has no avatar") }
            let avatars = try Self.avatarStore(s)
            let bytes = try await avatars.load(key: key)
            return Response(
                status: .ok,
                headers: [.contentType: "image/jpeg", .cacheControl: "private, max-age=300", .eTag: "\"\(key.split(separator: "/").last?.prefix(16) ?? "")\""],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }

        add(
            Endpoint(
                .put, "/api/auth/me/avatar", "uploadAvatar", "Upload your avatar: a JPEG of at most 512×512 and API_AVATAR_MAX_BYTES", tag: "auth",
                access: .signedIn, request: .media("image/jpeg"), response: .json(.ref("User")))
        ) { request, context in
            let principal = try context.requirePrincipal()
            let avatars = try Self.avatarStore(s)
            if let type = request.headers[.contentType], !type.lowercased().hasPrefix("image/jpeg") {
                throw APIError.unsupportedMediaType("an avatar must be sent as image/jpeg, not \(type)")
            }
            let buffer: ByteBuffer
            do {
                buffer = try await request.body.collect(upTo: s.configuration.avatarMaxBytes)
            } catch {
                throw APIError.tooLarge("an avatar may be at most \(s.configuration.avatarMaxBytes) bytes")
            }
            let bytes = Array(buffer.readableBytesView)
            _ = try avatars.validate(bytes)
            let key = try await avatars.store(userID: principal.userId, bytes: bytes)
            if let old = try await s.users.setAvatarKey(id: principal.userId, key), old != key { await avatars.remove(key: old) }
            return try JSONBodies.response(try await s.users.user(id: principal.userId))
        }

        add(Endpoint(.delete, "/api/auth/me/avatar", "deleteAvatar", "Remove your avatar", tag: "auth", access: .signedIn, status: 204)) { _, context in
            let principal = try context.requirePrincipal()
            if let old = try await s.users.setAvatarKey(id: principal.userId, nil), let avatars = s.avatars { await avatars.remove(key: old) }
            return JSONBodies.noContent()
        }
    }

    static let adminRefusal = APIError.forbidden(
        "ADMIN is protected: it is granted or removed, and admins deleted or disabled, only with `joycity users create-admin` / `revoke-admin` on the server")

    static func avatarStore(_ s: APIServices) throws -> AvatarStore {
        guard let avatars = s.avatars else {
            throw APIError.unavailable("avatars need S3: set S3_BUCKET (or API_AVATAR_BUCKET), S3_ENDPOINT and credentials for the API")
        }
        return avatars
    }
}
