import Foundation
import Logging
import PostgresNIO

/// One signed-in device as its owner sees it.
public struct SessionInfo: Codable, Sendable, Equatable {
    public var id: UUID
    public var device: String?
    public var ip: String?
    public var createdAt: Date
    public var lastUsedAt: Date
    public var expiresAt: Date
    /// Whether this is the session the request came with.
    public var current: Bool
}

/// Sessions (one per login) and their refresh tokens in PostgreSQL. A session is a refresh-token family: each
/// refresh rotates its token, and the rotated-away hashes are kept so that presenting one again ends the session.
public struct SessionStore: Sendable {
    public let client: PostgresClient
    public let logger: Logger
    /// The API's seal over session rows; nil for readers that never create or refresh one (the CLI).
    public let seal: SessionSeal?

    public init(client: PostgresClient, logger: Logger, seal: SessionSeal? = nil) {
        self.client = client
        self.logger = logger
        self.seal = seal
    }

    public func create(userID: Int64, device: String?, ip: String?, refreshHash: [UInt8], expiresAt: Date) async throws -> UUID {
        guard let seal else { throw StoreError(.invalidInput, "sessions are made by the API, which seals them (SessionStore without a seal)") }
        let id = UUID()
        let sealed = seal.seal(sessionID: id, userID: userID, refreshHash: refreshHash)
        try await client.query(
            """
            INSERT INTO auth_sessions (id, user_id, refresh_hash, device, ip, expires_at, mac, mac_kid)
            VALUES (\(id), \(userID), \(ByteBuffer(bytes: refreshHash)), \(device), \(ip), \(expiresAt), \(ByteBuffer(bytes: sealed.mac)), \(sealed.keyID))
            """,
            logger: logger
        )
        return id
    }

    /// What presenting a refresh token led to.
    public enum Refresh: Sendable, Equatable {
        /// The token was current: it is replaced by the new one.
        case rotated(sessionID: UUID, userID: Int64)
        /// The token was rotated away within the grace period (a concurrent refresh): refused, session kept.
        case superseded
        /// The token was rotated away earlier: someone replayed it; the session is now revoked.
        case reused(sessionID: UUID, userID: Int64)
        /// Unknown, expired or revoked.
        case invalid
    }

    /// Rotates the refresh token hashing to `oldHash` to `newHash`, in one transaction.
    public func rotate(oldHash: [UInt8], newHash: [UInt8], expiresAt: Date, grace: Duration) async throws -> Refresh {
        try await client.withTransaction(logger: logger) { connection in
            let old = ByteBuffer(bytes: oldHash)
            let current = try await connection.query(
                """
                SELECT s.id, s.user_id, (s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled), s.mac, s.mac_kid
                FROM auth_sessions s JOIN users u ON u.id = s.user_id WHERE s.refresh_hash = \(old) FOR UPDATE OF s
                """,
                logger: logger
            )
            for try await (id, userID, live, mac, keyID) in current.decode((UUID, Int64, Bool, ByteBuffer?, String?).self) {
                guard live else { return .invalid }
                guard let seal,
                    seal.verifies(mac.map { Array($0.readableBytesView) }, keyID: keyID, sessionID: id, userID: userID, refreshHash: oldHash)
                else {
                    logger.warning(
                        "a session row failed the API's seal (written or changed outside the API, or from before migration 7); not refreshed",
                        metadata: ["session.id": "\(id)", "user.id": "\(userID)"]
                    )
                    return .invalid
                }
                let resealed = seal.seal(sessionID: id, userID: userID, refreshHash: newHash)
                try await connection.query(
                    "INSERT INTO auth_refresh_rotated (hash, session_id) VALUES (\(old), \(id)) ON CONFLICT DO NOTHING",
                    logger: logger
                )
                try await connection.query(
                    """
                    UPDATE auth_sessions SET refresh_hash = \(ByteBuffer(bytes: newHash)), generation = generation + 1,
                      last_used_at = now(), expires_at = \(expiresAt), mac = \(ByteBuffer(bytes: resealed.mac)), mac_kid = \(resealed.keyID)
                    WHERE id = \(id)
                    """,
                    logger: logger
                )
                return .rotated(sessionID: id, userID: userID)
            }
            let graceSeconds = Double(grace.components.seconds)
            let rotated = try await connection.query(
                """
                SELECT r.session_id, s.user_id, r.rotated_at > now() - make_interval(secs => \(graceSeconds)), s.revoked_at IS NULL
                FROM auth_refresh_rotated r JOIN auth_sessions s ON s.id = r.session_id WHERE r.hash = \(old) FOR UPDATE OF s
                """,
                logger: logger
            )
            for try await (id, userID, withinGrace, live) in rotated.decode((UUID, Int64, Bool, Bool).self) {
                guard live else { return .invalid }
                if withinGrace { return .superseded }
                try await connection.query(
                    "UPDATE auth_sessions SET revoked_at = now(), revoked_reason = 'refresh token reuse' WHERE id = \(id) AND revoked_at IS NULL",
                    logger: logger
                )
                return .reused(sessionID: id, userID: userID)
            }
            return .invalid
        }
    }

    /// The user of session `id` when it is live (not revoked, not expired, user enabled), and marks it used.
    public func liveUser(sessionID: UUID) async throws -> Int64? {
        let rows = try await client.query(
            """
            UPDATE auth_sessions s SET last_used_at = now() FROM users u
            WHERE s.id = \(sessionID) AND u.id = s.user_id AND s.revoked_at IS NULL AND s.expires_at > now() AND NOT u.disabled
            RETURNING s.user_id
            """,
            logger: logger
        )
        for try await user in rows.decode(Int64.self) { return user }
        return nil
    }

    /// The live sessions of `userID`, newest first.
    public func list(userID: Int64, current: UUID?) async throws -> [SessionInfo] {
        let rows = try await client.query(
            """
            SELECT id, device, ip, created_at, last_used_at, expires_at FROM auth_sessions
            WHERE user_id = \(userID) AND revoked_at IS NULL AND expires_at > now() ORDER BY created_at DESC, id
            """,
            logger: logger
        )
        var result: [SessionInfo] = []
        for try await (id, device, ip, created, used, expires) in rows.decode((UUID, String?, String?, Date, Date, Date).self) {
            result.append(
                SessionInfo(id: id, device: device, ip: ip, createdAt: created, lastUsedAt: used, expiresAt: expires, current: id == current)
            )
        }
        return result
    }

    /// Revokes sessions of `userID`: the one with `only`, or all but `except`, or all.
    /// - Returns: the ids revoked.
    @discardableResult
    public func revoke(userID: Int64, only: UUID? = nil, except: UUID? = nil, reason: String) async throws -> [UUID] {
        let rows = try await client.query(
            """
            UPDATE auth_sessions SET revoked_at = now(), revoked_reason = \(reason)
            WHERE user_id = \(userID) AND revoked_at IS NULL
              AND (\(only)::uuid IS NULL OR id = \(only)) AND (\(except)::uuid IS NULL OR id <> \(except))
            RETURNING id
            """,
            logger: logger
        )
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }

    /// The ids of every live session of `userID` (to drop their cached checks after a change to the user).
    public func liveSessionIDs(userID: Int64) async throws -> [UUID] {
        let rows = try await client.query(
            "SELECT id FROM auth_sessions WHERE user_id = \(userID) AND revoked_at IS NULL AND expires_at > now()",
            logger: logger
        )
        var ids: [UUID] = []
        for try await id in rows.decode(UUID.self) { ids.append(id) }
        return ids
    }
}

extension SessionStore {
    /// Deletes sessions that expired or were revoked more than `keep` ago (with their rotated-token hashes).
    /// - Returns: how many were deleted.
    @discardableResult
    public func prune(keep: Duration) async throws -> Int {
        let seconds = Double(keep.components.seconds)
        let rows = try await client.query(
            """
            DELETE FROM auth_sessions
            WHERE expires_at < now() - make_interval(secs => \(seconds)) OR revoked_at < now() - make_interval(secs => \(seconds))
            RETURNING id
            """,
            logger: logger
        )
        var count = 0
        for try await _ in rows { count += 1 }
        return count
    }
}
