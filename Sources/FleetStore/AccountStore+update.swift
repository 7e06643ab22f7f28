import FleetCore
import Foundation
import Logging
import NIOCore
import PostgresNIO

extension AccountStore {
    /// What ``update(id:_:)`` changes; nil leaves a setting as it is.
    public struct Changes: Sendable {
        /// A new name (1 to 200 characters).
        public var name: String?
        /// A new WB token with what the caller decoded from it; `checked`: WB accepted it just now.
        public var token: (token: String, sellerID: String?, expiresAt: Date?, checked: Bool)?
        /// A new sync interval in seconds (`.some(nil)`: back to the fleet default).
        public var syncIntervalSeconds: Int??
        /// Where the finance report comes from.
        public var reportSource: SellerAccount.ReportSource?
        /// Whether the account syncs.
        public var syncEnabled: Bool?
        /// Whether several managers may hold one article in a month. Turning it off is refused while a month of
        /// the account has an article with several holders.
        public var sharedArticles: Bool?

        /// Changes nothing until fields are set.
        public init() {}
    }

    /// Applies `changes` to account `id` in one transaction: all of them or none.
    /// - Throws: ``StoreError`` `notFound`, `invalidInput` (a name or interval out of range), `secretKeyMissing`.
    public func update(id: Int64, _ changes: Changes) async throws -> SellerAccount {
        let name = changes.name?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let name, name.isEmpty || name.count > 200 { throw StoreError(.invalidInput, "an account name must be 1 to 200 characters") }
        try Self.checkSyncInterval(changes.syncIntervalSeconds ?? nil)
        let sealed = try changes.token.map { try secrets.seal($0.token) }
        let logger = self.logger
        do {
            try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query("SELECT id FROM seller_accounts WHERE id = \(id) FOR UPDATE", logger: logger)
                var found = false
                for try await _ in rows { found = true }
                guard found else { throw StoreError(.notFound, "there is no seller account \(id) (joycity accounts list)") }
                if let name {
                    try await connection.query("UPDATE seller_accounts SET name = \(name), updated_at = now() WHERE id = \(id)", logger: logger)
                }
                if let token = changes.token, let sealed {
                    let status = token.checked ? "ok" : "unchecked"
                    try await connection.query(
                        """
                        UPDATE seller_accounts SET wb_token = \(ByteBuffer(bytes: sealed.ciphertext)), wb_token_key_id = \(sealed.keyID),
                          wb_token_hint = \(Self.hint(token.token)), wb_seller_id = \(token.sellerID), wb_token_expires_at = \(token.expiresAt),
                          token_status = \(status), token_error = NULL, updated_at = now()
                        WHERE id = \(id)
                        """,
                        logger: logger
                    )
                }
                if let interval = changes.syncIntervalSeconds {
                    let value = interval.map(Int32.init)
                    try await connection.query(
                        "UPDATE seller_accounts SET sync_interval_seconds = \(value), updated_at = now() WHERE id = \(id)",
                        logger: logger
                    )
                }
                if let source = changes.reportSource {
                    try await connection.query(
                        "UPDATE seller_accounts SET report_source = \(source.rawValue), updated_at = now() WHERE id = \(id)",
                        logger: logger
                    )
                }
                if let shared = changes.sharedArticles {
                    if !shared {
                        let clash = try await connection.query(
                            """
                            SELECT to_char(month, 'YYYY-MM'), nm_id FROM assignments WHERE account_id = \(id)
                            GROUP BY month, nm_id HAVING count(*) > 1 ORDER BY month DESC LIMIT 1
                            """,
                            logger: logger
                        )
                        for try await (month, nm) in clash.decode((String, Int64).self) {
                            throw StoreError(
                                .invalidInput,
                                "nmId \(nm) has several managers in \(month); leave one manager per article in every month before turning shared articles off"
                            )
                        }
                    }
                    try await connection.query(
                        "UPDATE seller_accounts SET shared_articles = \(shared), updated_at = now() WHERE id = \(id)",
                        logger: logger
                    )
                }
                if let enabled = changes.syncEnabled {
                    try await connection.query(
                        "UPDATE seller_accounts SET sync_enabled = \(enabled), updated_at = now() WHERE id = \(id)",
                        logger: logger
                    )
                }
            }
        } catch {
            throw StoreError.statement(error)
        }
        return try await account(id: id)
    }
}
