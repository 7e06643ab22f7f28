import Foundation
import Logging
import PostgresNIO

/// Seller accounts in PostgreSQL; tokens are sealed with a ``SecretBox`` before they are written.
public struct AccountStore: Sendable {
    public let client: PostgresClient
    public let secrets: SecretBox
    public let logger: Logger

    /// Creates a store.
    public init(client: PostgresClient, secrets: SecretBox, logger: Logger) {
        self.client = client
        self.secrets = secrets
        self.logger = logger
    }

    static let columns = """
        id, name, inn, wb_seller_id, wb_token_expires_at, report_source, sync_enabled, token_status, token_error,
        last_sync_state, last_sync_error, last_sync_at, wb_token IS NOT NULL, sync_interval_seconds, wb_token_hint, shared_articles,
        portal_credentials IS NOT NULL, portal_session_state, portal_session_error, portal_session_checked_at
        """
    /// How many columns ``columns`` selects.
    static let columnCount = 20

    /// What is kept in clear of a token, to show it masked: its last four characters.
    static func hint(_ token: String?) -> String? { token.map { String($0.suffix(4)) } }

    /// Adds an account, with all its settings in one statement (a failure leaves no half-made account behind).
    /// - Parameters:
    ///   - token: the WB API token; `sellerID` and `expiresAt` are what the caller decoded from it.
    ///   - syncIntervalSeconds: its own sync interval (nil: the fleet default); `syncEnabled`: whether it syncs.
    ///   - tokenChecked: WB accepted the token just now (its status starts `ok`, not `unchecked`).
    ///   - portalCredentials: the WB portal credentials (JSON), sealed into the same row; `portalChecked`: WB accepted
    ///     them just now (the portal session starts `valid`).
    /// - Throws: ``StoreError`` `invalidInput` for an empty name or an INN that is not 10 or 12 digits,
    ///   `alreadyExists` for an INN that is already registered; `secretKeyMissing` when no encryption key is configured.
    public func add(
        name: String,
        inn: String,
        token: String?,
        sellerID: String?,
        expiresAt: Date?,
        reportSource: SellerAccount.ReportSource = .statistics,
        syncIntervalSeconds: Int? = nil,
        syncEnabled: Bool = true,
        tokenChecked: Bool = false,
        portalCredentials: String? = nil,
        portalChecked: Bool = false
    ) async throws -> SellerAccount {
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty else { throw StoreError(.invalidInput, "an account needs a name") }
        try Self.checkINN(inn)
        try Self.checkSyncInterval(syncIntervalSeconds)
        let interval = syncIntervalSeconds.map(Int32.init)
        let status = tokenChecked && token != nil ? "ok" : "unchecked"
        let sealed = try token.map { try secrets.seal($0) }
        let portal = try portalCredentials.map { try secrets.seal($0) }
        let portalState = portal != nil && portalChecked ? "valid" : "unchecked"
        let portalCheckedAt: Date? = portal != nil && portalChecked ? Date() : nil
        let query: PostgresQuery = """
            INSERT INTO seller_accounts (name, inn, wb_token, wb_token_key_id, wb_token_hint, wb_seller_id, wb_token_expires_at, report_source,
              sync_interval_seconds, sync_enabled, token_status, portal_credentials, portal_credentials_key_id, portal_session_state,
              portal_session_checked_at)
            VALUES (\(name), \(inn), \(sealed.map { ByteBuffer(bytes: $0.ciphertext) }), \(sealed?.keyID), \(Self.hint(token)), \(sellerID), \(expiresAt), \(reportSource.rawValue),
              \(interval), \(syncEnabled), \(status), \(portal.map { ByteBuffer(bytes: $0.ciphertext) }), \(portal?.keyID), \(portalState),
              \(portalCheckedAt))
            ON CONFLICT (inn) DO NOTHING
            RETURNING id
            """
        let rows = try await client.query(query, logger: logger)
        var id: Int64?
        for try await row in rows.decode(Int64.self) { id = row }
        guard let id else { throw StoreError(.alreadyExists, "an account with INN \(inn) is already registered (joycity accounts list)") }
        return try await account(id: id)
    }

    /// Checks an ИНН: 10 digits (company) or 12 (sole proprietor).
    /// - Throws: ``StoreError`` `invalidInput` saying so.
    public static func checkINN(_ inn: String) throws {
        guard inn.count == 10 || inn.count == 12, inn.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw StoreError(.invalidInput, "INN '\(inn)' is not 10 digits (company) or 12 digits (sole proprietor)")
        }
    }

    /// One account.
    /// - Throws: ``StoreError`` `notFound`.
    public func account(id: Int64) async throws -> SellerAccount {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM seller_accounts WHERE id = $1", binds: binds(id)),
            logger: logger
        )
        for try await row in rows {
            return try Self.decode(row)
        }
        throw StoreError(.notFound, "there is no seller account \(id) (joycity accounts list)")
    }

    /// Every account, by id.
    public func list() async throws -> [SellerAccount] {
        let rows = try await client.query(PostgresQuery(unsafeSQL: "SELECT \(Self.columns) FROM seller_accounts ORDER BY id"), logger: logger)
        var accounts: [SellerAccount] = []
        for try await row in rows { accounts.append(try Self.decode(row)) }
        return accounts
    }

    /// Turns syncing on or off.
    /// - Throws: ``StoreError`` `notFound`.
    public func setSyncEnabled(id: Int64, _ enabled: Bool) async throws {
        var changes = Changes()
        changes.syncEnabled = enabled
        _ = try await update(id: id, changes)
    }

    /// Stores a new token; its status goes back to `unchecked`, so a refused account syncs again.
    /// - Throws: ``StoreError`` `notFound`, `secretKeyMissing`.
    public func setToken(id: Int64, token: String, sellerID: String?, expiresAt: Date?) async throws {
        var changes = Changes()
        changes.token = (token, sellerID, expiresAt, checked: false)
        _ = try await update(id: id, changes)
    }

    /// Chooses where the detailed report comes from.
    public func setReportSource(id: Int64, _ source: SellerAccount.ReportSource) async throws {
        var changes = Changes()
        changes.reportSource = source
        _ = try await update(id: id, changes)
    }

    /// The account with its decrypted token.
    /// - Throws: ``StoreError`` `notFound`; `invalidInput` when no token is stored; secret errors.
    public func credentials(id: Int64) async throws -> AccountCredentials {
        let rows = try await client.query(
            PostgresQuery(unsafeSQL: "SELECT \(Self.columns), wb_token, wb_token_key_id FROM seller_accounts WHERE id = $1", binds: binds(id)),
            logger: logger
        )
        for try await row in rows {
            let account = try Self.decode(row)
            let columns = row.makeRandomAccess()
            // The token columns follow the listing columns.
            guard let cipher = try columns[Self.columnCount].decode(ByteBuffer?.self),
                let keyID = try columns[Self.columnCount + 1].decode(String?.self)
            else {
                throw StoreError(.invalidInput, "seller account \(id) has no WB token (joycity accounts set-token \(id) TOKEN)")
            }
            let token = try secrets.open(.init(ciphertext: Array(buffer: cipher), keyID: keyID))
            return AccountCredentials(account: account, token: token)
        }
        throw StoreError(.notFound, "there is no seller account \(id) (joycity accounts list)")
    }

    /// Marks the token refused by WB (with WB's detail): syncs skip the account until its token changes.
    public func markTokenInvalid(id: Int64, detail: String) async throws {
        try await client.query(
            "UPDATE seller_accounts SET token_status = 'invalid', token_error = \(detail), updated_at = now() WHERE id = \(id)",
            logger: logger
        )
    }

    /// Marks the token accepted (after a successful WB call).
    public func markTokenOK(id: Int64) async throws {
        try await client.query(
            "UPDATE seller_accounts SET token_status = 'ok', token_error = NULL WHERE id = \(id) AND token_status <> 'ok'",
            logger: logger
        )
    }

    /// Records the outcome of the latest sync.
    public func recordSync(id: Int64, state: String, error: String?) async throws {
        try await client.query(
            "UPDATE seller_accounts SET last_sync_state = \(state), last_sync_error = \(error), last_sync_at = now() WHERE id = \(id)",
            logger: logger
        )
    }

    /// Re-seals every stored secret (WB tokens and portal credentials) with the active key.
    /// - Returns: how many secrets were re-sealed.
    public func rotateKeys() async throws -> Int {
        guard let active = secrets.activeKeyID else {
            throw StoreError(.secretKeyMissing, "set JOYCITY_SECRET_KEYS (and JOYCITY_SECRET_KEY_ID) first")
        }
        var count = 0
        for (column, keyColumn) in [("wb_token", "wb_token_key_id"), ("portal_credentials", "portal_credentials_key_id")] {
            count += try await client.withTransaction(logger: logger) { connection in
                var binds = PostgresBindings()
                binds.append(active)
                let rows = try await connection.query(
                    PostgresQuery(
                        unsafeSQL:
                            "SELECT id, \(column), \(keyColumn) FROM seller_accounts WHERE \(column) IS NOT NULL AND \(keyColumn) <> $1 FOR UPDATE",
                        binds: binds
                    ),
                    logger: logger
                )
                var pending: [(Int64, SecretBox.Sealed)] = []
                for try await (id, cipher, keyID) in rows.decode((Int64, ByteBuffer, String).self) {
                    pending.append((id, .init(ciphertext: Array(buffer: cipher), keyID: keyID)))
                }
                for (id, sealed) in pending {
                    let resealed = try secrets.seal(try secrets.open(sealed))
                    var update = PostgresBindings()
                    update.append(ByteBuffer(bytes: resealed.ciphertext))
                    update.append(resealed.keyID)
                    update.append(id)
                    try await connection.query(
                        PostgresQuery(unsafeSQL: "UPDATE seller_accounts SET \(column) = $1, \(keyColumn) = $2 WHERE id = $3", binds: update),
                        logger: logger
                    )
                }
                return pending.count
            }
        }
        return count
    }

    /// Sets how often the scheduler syncs the account; `nil` returns it to the fleet default.
    /// - Throws: ``StoreError`` `invalidInput` outside 1 minute … 7 days, `notFound`.
    public func setSyncInterval(id: Int64, seconds: Int?) async throws {
        var changes = Changes()
        changes.syncIntervalSeconds = .some(seconds)
        _ = try await update(id: id, changes)
    }

    /// Checks a sync interval: 1 minute to 7 days (nil: the fleet default).
    /// - Throws: ``StoreError`` `invalidInput` saying so.
    static func checkSyncInterval(_ seconds: Int?) throws {
        if let seconds, !(60...604_800).contains(seconds) {
            throw StoreError(.invalidInput, "a sync interval must be between 1 minute and 7 days, not \(seconds) s")
        }
    }

    /// Renames an account.
    /// - Throws: ``StoreError`` `invalidInput` for an empty name, `notFound`.
    public func setName(id: Int64, _ name: String) async throws {
        var changes = Changes()
        changes.name = name
        _ = try await update(id: id, changes)
    }

    /// Deletes an account with everything synced for it.
    /// - Throws: ``StoreError`` `notFound`.
    public func delete(id: Int64) async throws {
        try await updateOne(id: id, "DELETE FROM seller_accounts WHERE id = \(id) RETURNING id")
    }

    /// Stores the account's WB portal credentials (a JSON document), sealed.
    /// - Throws: ``StoreError`` `notFound`, `secretKeyMissing`.
    public func setPortalCredentials(id: Int64, json: String) async throws {
        let sealed = try secrets.seal(json)
        try await updateOne(
            id: id,
            """
            UPDATE seller_accounts SET portal_credentials = \(ByteBuffer(bytes: sealed.ciphertext)), portal_credentials_key_id = \(sealed.keyID),
              portal_session_state = 'unchecked', portal_session_error = NULL, portal_session_checked_at = NULL,
              updated_at = now() WHERE id = \(id) RETURNING id
            """
        )
    }

    /// Replaces the cookies and access token inside the stored portal credentials (after WB rotated them), keeping
    /// the rest (login, password) and the session state — only while the stored cookies still contain
    /// `ifCookiesContain` (the cookie that was spent), so credentials an admin stored meanwhile stay.
    public func replacePortalSession(id: Int64, cookies: String, accessToken: String?, ifCookiesContain spent: String) async throws {
        guard let json = try await portalCredentials(id: id),
            var document = (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any],
            let stored = document["cookies"] as? String,
            stored.split(separator: ";").contains(where: { $0.trimmingCharacters(in: .whitespaces) == spent })
        else { return }
        document["cookies"] = cookies
        document["accessToken"] = accessToken
        let text = String(decoding: try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys]), as: UTF8.self)
        let sealed = try secrets.seal(text)
        try await client.query(
            """
            UPDATE seller_accounts SET portal_credentials = \(ByteBuffer(bytes: sealed.ciphertext)), portal_credentials_key_id = \(sealed.keyID)
              WHERE id = \(id) AND portal_credentials IS NOT NULL
            """,
            logger: logger
        )
    }

    /// Records what the proxy edge learned of the account's portal session: WB renewed it (`valid`) or refused it
    /// (`invalid`, with the reason).
    public func setPortalSessionState(id: Int64, valid: Bool, reason: String?) async throws {
        let state = valid ? "valid" : "invalid"
        try await client.query(
            """
            UPDATE seller_accounts SET portal_session_state = \(state), portal_session_error = \(reason),
              portal_session_checked_at = now() WHERE id = \(id)
            """,
            logger: logger
        )
    }

    /// The Redis key under which the proxy edge keeps the account's live portal session (the API deletes it when the
    /// credentials change, so every replica starts again from the new ones).
    public static func portalSessionKey(prefix: String, account: Int64) -> String { "\(prefix):proxy:portal:\(account)" }

    /// The account's WB portal credentials, decrypted (nil when none are stored).
    /// - Throws: ``StoreError`` `notFound`; secret errors.
    public func portalCredentials(id: Int64) async throws -> String? {
        let rows = try await client.query(
            "SELECT portal_credentials, portal_credentials_key_id FROM seller_accounts WHERE id = \(id)",
            logger: logger
        )
        for try await (cipher, keyID) in rows.decode((ByteBuffer?, String?).self) {
            guard let cipher, let keyID else { return nil }
            return try secrets.open(.init(ciphertext: Array(buffer: cipher), keyID: keyID))
        }
        throw StoreError(.notFound, "there is no seller account \(id)")
    }

    private func updateOne(id: Int64, _ query: PostgresQuery) async throws {
        let rows = try await client.query(query, logger: logger)
        var found = false
        for try await _ in rows { found = true }
        if !found { throw StoreError(.notFound, "there is no seller account \(id) (joycity accounts list)") }
    }

    private func binds(_ id: Int64) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(id)
        return binds
    }

    static func decode(_ row: PostgresRow) throws -> SellerAccount {
        let (id, name, inn, sid, expires, source, enabled, status, tokenError, state, syncError, syncAt, hasToken, interval, hint, shared) =
            try row.decode(
                (Int64, String, String, String?, Date?, String, Bool, String, String?, String?, String?, Date?, Bool, Int32?, String?, Bool).self
            )
        return SellerAccount(
            id: id,
            name: name,
            inn: inn,
            wbSellerID: sid,
            tokenExpiresAt: expires,
            reportSource: .init(rawValue: source) ?? .statistics,
            syncEnabled: enabled,
            tokenStatus: .init(rawValue: status) ?? .unchecked,
            tokenError: tokenError,
            lastSyncState: state,
            lastSyncError: syncError,
            lastSyncAt: syncAt,
            hasToken: hasToken,
            syncIntervalSeconds: interval.map(Int.init),
            tokenMasked: hasToken ? "••••" + (hint ?? "") : nil,
            sharedArticles: shared,
            portalSession: try portalSession(row.makeRandomAccess())
        )
    }

    /// The portal columns (after the first 16 of ``columns``).
    static func portalSession(_ columns: PostgresRandomAccessRow) throws -> SellerAccount.PortalSessionStatus {
        let stored = try columns[16].decode(Bool.self)
        let state = try columns[17].decode(String.self)
        return SellerAccount.PortalSessionStatus(
            state: stored ? SellerAccount.PortalSessionStatus.State(rawValue: state) ?? .unchecked : .none,
            reason: try columns[18].decode(String?.self),
            checkedAt: try columns[19].decode(Date?.self)
        )
    }
}
