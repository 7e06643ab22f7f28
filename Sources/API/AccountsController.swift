import FleetCore
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import Queue
import WBKit

/// WB seller accounts (admin): the token is write-only, validated before it is stored.
struct AccountsController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.listAccountsEndpoint, listAccounts)
        routes.add(Self.getAccountEndpoint, getAccount)
        routes.add(Self.createAccountEndpoint, createAccount)
        routes.add(Self.updateAccountEndpoint, updateAccount)
        routes.add(Self.deleteAccountEndpoint, deleteAccount)
        routes.add(Self.setPortalCredentialsEndpoint, setPortalCredentials)
        routes.add(Self.syncAccountEndpoint, syncAccount)
    }

    static let listAccountsEndpoint = Endpoint(
        .get,
        "/api/accounts",
        "listAccounts",
        "Every seller account (tokens masked)",
        tag: "accounts",
        access: .accountReaders,
        response: .json(.arrayOf(.ref("Account")))
    )
    /// `GET /api/accounts`: Every seller account (tokens masked).
    @Sendable func listAccounts(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await api.accounts.list())
    }

    static let getAccountEndpoint = Endpoint(
        .get,
        "/api/accounts/{id}",
        "getAccount",
        "One seller account (token masked)",
        tag: "accounts",
        access: .accountReaders,
        response: .json(.ref("Account"))
    )
    /// `GET /api/accounts/{id}`: One seller account (token masked).
    @Sendable func getAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await api.accounts.account(id: try context.parameters.require("id", as: Int64.self)))
    }

    static let createAccountEndpoint = Endpoint(
        .post,
        "/api/accounts",
        "createAccount",
        "Register a seller account; its WB token is checked (expiry, Statistics scope, then WB's /ping) before it is stored",
        tag: "accounts",
        access: .adminOnly,
        request: .json(.ref("AccountCreate")),
        status: 201,
        response: .json(.ref("Account"))
    )
    /// `POST /api/accounts`: Register a seller account; its WB token is checked (expiry, Statistics scope, then WB's /ping) before it is stored.
    @Sendable func createAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let body = try await JSONBodies.decode(AccountCreate.self, from: request, context: context)
        let name = try Validation.name(body.name, what: "an account name")
        let inn = try Validation.inn(body.inn)
        if let interval = body.syncIntervalSeconds, !(60...604_800).contains(interval) {
            throw APIError.invalid("syncIntervalSeconds must be between 60 (1 minute) and 604800 (7 days)")
        }
        let token = body.token.trimmingSpaces()
        let claims = try await checkToken(token)
        // Both checks before anything is stored: the WB token (above), then the portal credentials through the proxy.
        var portal: String?
        var portalChecked = false
        if let credentials = body.portalCredentials {
            let (stored, checked) = try await checkPortal(credentials)
            portal = stored
            portalChecked = checked
        }
        // One statement: a failure leaves no account with defaults behind for a retry to collide with.
        let account = try await api.accounts.add(
            name: name,
            inn: inn,
            token: token,
            sellerID: claims.sellerID,
            expiresAt: claims.expiresAt,
            reportSource: body.reportSource ?? .statistics,
            syncIntervalSeconds: body.syncIntervalSeconds,
            syncEnabled: body.syncEnabled ?? true,
            tokenChecked: true,
            portalCredentials: portal,
            portalChecked: portalChecked
        )
        return try JSONBodies.response(account, status: .created)
    }

    static let updateAccountEndpoint = Endpoint(
        .patch,
        "/api/accounts/{id}",
        "updateAccount",
        "Change an account's name, token, sync interval, report source or syncing",
        tag: "accounts",
        access: .adminOnly,
        request: .json(.ref("AccountUpdate")),
        response: .json(.ref("Account"))
    )
    /// `PATCH /api/accounts/{id}`: Change an account's name, token, sync interval, report source or syncing.
    @Sendable func updateAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(AccountUpdate.self, from: request, context: context)
        _ = try await api.accounts.account(id: id)
        let name = try body.name.map { try Validation.name($0, what: "an account name") }
        if let interval = body.syncIntervalSeconds ?? nil, !(60...604_800).contains(interval) {
            throw APIError.invalid("syncIntervalSeconds must be between 60 (1 minute) and 604800 (7 days), or null for the fleet default")
        }
        let token = body.token?.trimmingSpaces()
        let claims = try await token.asyncMap { try await checkToken($0) }
        var changes = AccountStore.Changes()
        changes.name = name
        if let token, let claims { changes.token = (token, claims.sellerID, claims.expiresAt, checked: true) }
        changes.syncIntervalSeconds = body.syncIntervalSeconds
        changes.reportSource = body.reportSource
        changes.syncEnabled = body.syncEnabled
        changes.sharedArticles = body.sharedArticles
        // One transaction: all of the changes or none.
        return try JSONBodies.response(try await api.accounts.update(id: id, changes))
    }

    static let deleteAccountEndpoint = Endpoint(
        .delete,
        "/api/accounts/{id}",
        "deleteAccount",
        "Delete a seller account and everything synced for it",
        tag: "accounts",
        access: .adminOnly,
        status: 204
    )
    /// `DELETE /api/accounts/{id}`: Delete a seller account and everything synced for it.
    @Sendable func deleteAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        try await api.accounts.delete(id: id)
        return JSONBodies.noContent()
    }

    static let setPortalCredentialsEndpoint = Endpoint(
        .put,
        "/api/accounts/{id}/portal-credentials",
        "setPortalCredentials",
        "Store the account's WB Seller portal credentials, sealed (write-only: only the proxy edge reads them back)",
        tag: "accounts",
        access: .adminOnly,
        request: .json(.ref("PortalCredentials")),
        status: 204
    )
    /// `PUT /api/accounts/{id}/portal-credentials`: Store the account's WB Seller portal credentials, sealed (write-only: only the proxy edge reads them back).
    @Sendable func setPortalCredentials(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let body = try await JSONBodies.decode(PortalCredentials.self, from: request, context: context)
        _ = try await api.accounts.account(id: id)
        let (json, checked) = try await checkPortal(body)
        try await api.accounts.setPortalCredentials(id: id, json: json)
        if checked { try await api.accounts.setPortalSessionState(id: id, valid: true, reason: nil) }
        // Every proxy replica starts again from the new credentials (its live session of the old ones goes).
        let key = AccountStore.portalSessionKey(prefix: api.queue.configuration.prefix, account: id)
        _ = try await api.queue.redis.send(RedisCommand("DEL", key)).throwingError()
        return JSONBodies.noContent()
    }

    /// Portal credentials as they are to be stored, and whether WB accepted them: checked through the proxy edge when
    /// `API_PROXY_URL` is set (the rotated cookies come back), otherwise stored unchecked.
    /// - Throws: ``APIError`` 400 when empty, 413 when too large, 422/503 from ``PortalCredentialsCheck``.
    func checkPortal(_ credentials: PortalCredentials) async throws -> (json: String, checked: Bool) {
        guard credentials.login != nil || credentials.password != nil || credentials.cookies != nil else {
            throw APIError.invalid("give at least one of login, password, cookies")
        }
        guard try JSONCoding.encode(credentials).utf8.count <= 64 << 10 else {
            throw APIError.tooLarge("portal credentials may be at most 64 KiB")
        }
        guard let proxyURL = api.configuration.proxyURL, let secret = api.configuration.internalSecret, credentials.cookies != nil else {
            return (try JSONCoding.encode(credentials), false)
        }
        let checked = try await PortalCredentialsCheck(proxyURL: proxyURL, secret: secret).check(credentials)
        return (try JSONCoding.encode(checked), true)
    }

    /// Decodes the WB token (already trimmed: it is stored as checked) locally (shape, expiry, Statistics scope), then
    /// asks WB's `/ping`.
    /// - Throws: ``APIError`` 422 `wb_token_invalid` with the reason, 429 while WB's check budget is spent, 503 when
    ///   WB cannot be reached.
    func checkToken(_ token: String) async throws -> WBToken {
        guard !token.isEmpty, token.utf8.count <= 4096 else {
            throw APIError.unprocessable(code: "wb_token_invalid", "the WB token is empty or too long")
        }
        let claims: WBToken
        do {
            claims = try WBToken(token)
        } catch WBError.tokenUnusable(let reason) {
            throw APIError.unprocessable(code: "wb_token_invalid", reason)
        } catch {
            throw APIError.unprocessable(
                code: "wb_token_invalid",
                "the WB token cannot be read; copy it again from the seller portal (Settings → Access to API)"
            )
        }
        if let problem = claims.problem(for: .statistics, categoryName: "Statistics") {
            throw APIError.unprocessable(code: "wb_token_invalid", problem)
        }
        do {
            try await api.wb.ping(.init(raw: token, claims: claims))
        } catch let error as WBError {
            switch error {
            case .tokenRejected(let detail): throw APIError.unprocessable(code: "wb_token_invalid", "WB refused the token: \(detail)")
            case .rateLimited(let retryAfter, _):
                throw APIError.tooManyRequests("WB allows only a few token checks per 30 seconds; try again shortly", retryAfter: retryAfter)
            default: throw APIError.unavailable("WB could not check the token (\(error)); try again later")
            }
        }
        return claims
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
