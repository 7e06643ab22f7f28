import FleetCore
import FleetStore
import Foundation
import Hummingbird
import WBKit

extension APIRoutes {
    static let accountReaders: Access = .roles([.admin, .director, .headOfSales, .analyst, .accountant, .ops])

    /// WB seller accounts (admin): the token is write-only, validated before it is stored.
    func addAccountRoutes(_ s: APIServices) {
        add(
            Endpoint(.get, "/api/accounts", "listAccounts", "Every seller account (tokens masked)", tag: "accounts", access: Self.accountReaders,
                response: .json(.arrayOf(.ref("Account"))))
        ) { _, _ in
            do { return try JSONBodies.response(try await s.accounts.list()) } catch { throw APIError.database(error) }
        }

        add(
            Endpoint(.get, "/api/accounts/{id}", "getAccount", "One seller account (token masked)", tag: "accounts", access: Self.accountReaders,
                response: .json(.ref("Account")))
        ) { _, context in
            try JSONBodies.response(try await Self.account(s, try context.parameters.require("id", as: Int64.self)))
        }

        add(
            Endpoint(
                .post, "/api/accounts", "createAccount",
                "Register a seller account; its WB token is checked (expiry, Statistics scope, then WB's /ping) before it is stored",
                tag: "accounts", access: Self.adminOnly, request: .json(.ref("AccountCreate")), status: 201, response: .json(.ref("Account")))
        ) { request, context in
            let body = try await JSONBodies.decode(AccountCreate.self, from: request, context: context)
            let name = try Validation.name(body.name, what: "an account name")
            let inn = try Validation.inn(body.inn)
            if let interval = body.syncIntervalSeconds, !(60...604_800).contains(interval) {
                throw APIError.invalid("syncIntervalSeconds must be between 60 (1 minute) and 604800 (7 days)")
            }
            let token = body.token.trimmingSpaces()
            let claims = try await Self.checkToken(s, token)
            var account: SellerAccount
            do {
                account = try await s.accounts.add(
                    name: name, inn: inn, token: token, sellerID: claims.sellerID, expiresAt: claims.expiresAt,
                    reportSource: body.reportSource ?? .statistics)
                if let interval = body.syncIntervalSeconds { try await s.accounts.setSyncInterval(id: account.id, seconds: interval) }
                if body.syncEnabled == false { try await s.accounts.setSyncEnabled(id: account.id, false) }
                try await s.accounts.markTokenOK(id: account.id)
                account = try await s.accounts.account(id: account.id)
            } catch {
                throw APIError.database(error, conflict: "an account with INN \(inn) is already registered")
            }
            return try JSONBodies.response(account, status: .created)
        }

        add(
            Endpoint(
                .patch, "/api/accounts/{id}", "updateAccount", "Change an account's name, token, sync interval, report source or syncing",
                tag: "accounts", access: Self.adminOnly, request: .json(.ref("AccountUpdate")), response: .json(.ref("Account")))
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(AccountUpdate.self, from: request, context: context)
            _ = try await Self.account(s, id)
            let name = try body.name.map { try Validation.name($0, what: "an account name") }
            if let interval = body.syncIntervalSeconds ?? nil, !(60...604_800).contains(interval) {
                throw APIError.invalid("syncIntervalSeconds must be between 60 (1 minute) and 604800 (7 days), or null for the fleet default")
            }
            let token = body.token?.trimmingSpaces()
            let claims = try await token.asyncMap { try await Self.checkToken(s, $0) }
            do {
                if let name { try await s.accounts.setName(id: id, name) }
                if let token, let claims {
                    try await s.accounts.setToken(id: id, token: token, sellerID: claims.sellerID, expiresAt: claims.expiresAt)
                    try await s.accounts.markTokenOK(id: id)
                }
                if let interval = body.syncIntervalSeconds { try await s.accounts.setSyncInterval(id: id, seconds: interval) }
                if let source = body.reportSource { try await s.accounts.setReportSource(id: id, source) }
                if let enabled = body.syncEnabled { try await s.accounts.setSyncEnabled(id: id, enabled) }
                return try JSONBodies.response(try await s.accounts.account(id: id))
            } catch {
                throw APIError.database(error)
            }
        }

        add(
            Endpoint(.delete, "/api/accounts/{id}", "deleteAccount", "Delete a seller account and everything synced for it", tag: "accounts",
                access: Self.adminOnly, status: 204)
        ) { _, context in
            let id = try context.parameters.require("id", as: Int64.self)
            do { try await s.accounts.delete(id: id) } catch { throw APIError.database(error) }
            return JSONBodies.noContent()
        }

        add(
            Endpoint(
                .put, "/api/accounts/{id}/portal-credentials", "setPortalCredentials",
                "Store the account's WB Seller portal credentials, sealed (write-only: only the proxy edge reads them back)", tag: "accounts",
                access: Self.adminOnly, request: .json(.ref("PortalCredentials")), status: 204)
        ) { request, context in
            let id = try context.parameters.require("id", as: Int64.self)
            let body = try await JSONBodies.decode(PortalCredentials.self, from: request, context: context)
            guard body.login != nil || body.password != nil || body.cookies != nil else {
                throw APIError.invalid("give at least one of login, password, cookies")
            }
            let json = String(decoding: try JSONBodies.encoder.encode(body), as: UTF8.self)
            guard json.utf8.count <= 64 << 10 else { throw APIError.tooLarge("portal credentials may be at most 64 KiB") }
            do { try await s.accounts.setPortalCredentials(id: id, json: json) } catch { throw APIError.database(error) }
            return JSONBodies.noContent()
        }
    }

    static func account(_ s: APIServices, _ id: Int64) async throws -> SellerAccount {
        do { return try await s.accounts.account(id: id) } catch { throw APIError.database(error) }
    }

    /// Decodes the WB token (already trimmed: it is stored as checked) locally (shape, expiry, Statistics scope), then
    /// asks WB's `/ping`.
    /// - Throws: ``APIError`` 422 `wb_token_invalid` with the reason, 429 while WB's check budget is spent, 503 when
    ///   WB cannot be reached.
    static func checkToken(_ s: APIServices, _ token: String) async throws -> WBToken {
        guard !token.isEmpty, token.utf8.count <= 4096 else { throw APIError.unprocessable(code: "wb_token_invalid", "the WB token is empty or too long") }
        let claims: WBToken
        do {
            claims = try WBToken(token)
        } catch WBError.tokenUnusable(let reason) {
            throw APIError.unprocessable(code: "wb_token_invalid", reason)
        } catch {
            throw APIError.unprocessable(code: "wb_token_invalid", "the WB token cannot be read; copy it again from the seller portal (Settings → Access to API)")
        }
        if let problem = claims.problem(for: .statistics, categoryName: "Statistics") {
            throw APIError.unprocessable(code: "wb_token_invalid", problem)
        }
        do {
            try await s.wb.ping(.init(raw: token, claims: claims))
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
