import FleetCore
import FleetStore
import Foundation
import Logging
import Queue

/// The per-request session check: is the session behind an access token still live, and who is its user now?
///
/// Answers come from PostgreSQL and are cached in Redis for `API_SESSION_CACHE_TTL` at
/// `<prefix>:api:session:<sid>`. A revocation overwrites the entry with `revoked` (kept for the access-token
/// lifetime) and cache fills use `SET NX`, so a revoked session's token stops at once on every replica, even when a
/// fill raced the revocation. With Redis unreachable the check goes to PostgreSQL.
public struct SessionGate: Sendable {
    let redis: RedisClient
    let prefix: String
    let sessions: SessionStore
    let users: UserStore
    let cacheTTL: Duration
    let revokedTTL: Duration
    let logger: Logger

    public init(
        redis: RedisClient,
        prefix: String,
        sessions: SessionStore,
        users: UserStore,
        cacheTTL: Duration,
        revokedTTL: Duration,
        logger: Logger
    ) {
        self.redis = redis
        self.prefix = prefix
        self.sessions = sessions
        self.users = users
        self.cacheTTL = cacheTTL
        self.revokedTTL = revokedTTL
        self.logger = logger
    }

    func key(_ id: UUID) -> String { "\(prefix):api:session:\(id.uuidString.lowercased())" }

    static let revokedMarker = "revoked"
    static let staleMarker = "stale"

    /// The principal of a live session.
    /// - Throws: ``AuthError`` (unauthenticated) when the session was revoked, expired or its user disabled or
    ///   deleted; a store error when PostgreSQL cannot answer.
    public func principal(sessionID: UUID, userID: Int64) async throws -> Principal {
        let key = key(sessionID)
        do {
            if let cached = try await redis.send(RedisCommand("GET", key)).string {
                if cached == Self.revokedMarker { throw Self.ended }
                if let principal = try? JSONCoding.decode(Principal.self, from: cached), principal.userId == userID {
                    return principal
                }
            }
        } catch let error as AuthError {
            throw error
        } catch {
            logger.warning("session cache unreachable; checking PostgreSQL", metadata: ["error": "\(error)"])
        }
        guard let live = try await sessions.liveUser(sessionID: sessionID) else {
            await markRevokedOrLog([sessionID])
            throw Self.ended
        }
        // A token naming another user's session is not that session's: refuse it, and leave the session alone.
        guard live == userID else {
            logger.warning("access token names a session of another user", metadata: ["user.id": "\(userID)", "session.id": "\(sessionID)"])
            throw AuthError(.unauthenticated, "the access token does not belong to its session; sign in again")
        }
        let user = try await users.user(id: userID)
        let principal = Principal(
            userId: user.id,
            sessionId: sessionID,
            login: user.login,
            name: user.name,
            roles: user.roles,
            accountId: user.accountId
        )
        if let json = try? JSONCoding.encode(principal) {
            _ = try? await redis.send(RedisCommand("SET", key, json, "PX", String(cacheTTL.milliseconds), "NX"))
        }
        return principal
    }

    static let ended = AuthError(.unauthenticated, "this session has ended (signed out, revoked, or the user was disabled); sign in again")

    /// Makes the tokens of `ids` stop working at once on every replica.
    public func markRevoked(_ ids: [UUID]) async throws {
        guard !ids.isEmpty else { return }
        let ttl = String(revokedTTL.milliseconds + 60_000)
        for reply in try await redis.pipeline(ids.map { RedisCommand("SET", key($0), Self.revokedMarker, "PX", ttl) }) { try reply.throwingError() }
    }

    /// ``markRevoked(_:)`` for sessions PostgreSQL already says are over: retried three times, then logged with the
    /// ids (their cached checks expire within `API_SESSION_CACHE_TTL`).
    public func markRevokedOrLog(_ ids: [UUID]) async {
        guard !ids.isEmpty else { return }
        do {
            try await Backoff(base: .milliseconds(100), cap: .milliseconds(400)).retrying(3) { try await markRevoked(ids) }
        } catch {
            logger.error(
                "could not mark ended sessions revoked in Redis; their cached checks expire within API_SESSION_CACHE_TTL",
                metadata: [
                    "error": "\(error)", "session.ids": "\(ids.map(\.uuidString).joined(separator: ","))",
                ]
            )
        }
    }

    /// Revokes sessions of `userID` in PostgreSQL (the one with `only`, or all but `except`, or all) and makes their
    /// access tokens stop at once. The Redis part is best effort: should it fail, the cached checks expire within
    /// `API_SESSION_CACHE_TTL` and PostgreSQL already says revoked.
    /// - Returns: the ids revoked.
    @discardableResult
    public func revoke(userID: Int64, only: UUID? = nil, except: UUID? = nil, reason: String) async throws -> [UUID] {
        let ids = try await sessions.revoke(userID: userID, only: only, except: except, reason: reason)
        await markRevokedOrLog(ids)
        return ids
    }

    /// Drops the cached checks of every live session of `userID` (after a change to the user's roles or account).
    public func forgetSessions(ofUser userID: Int64) async throws {
        await forget(try await sessions.liveSessionIDs(userID: userID))
    }

    /// Drops the cached checks of `ids` (after a change to their user's roles or account).
    public func forget(_ ids: [UUID]) async {
        guard !ids.isEmpty else { return }
        // Not DEL: a check that read the old roles before this and fills the cache after it would put them back
        // (`SET NX` finds no key). A `stale` marker for one cache lifetime makes such a fill fail; checks meanwhile
        // go to PostgreSQL (which still refuses a revoked session whose marker this overwrote).
        let ttl = String(cacheTTL.milliseconds)
        do {
            for reply in try await redis.pipeline(ids.map { RedisCommand("SET", key($0), Self.staleMarker, "PX", ttl) }) {
                try reply.throwingError()
            }
        } catch {
            logger.warning("could not drop cached session checks; they expire within API_SESSION_CACHE_TTL", metadata: ["error": "\(error)"])
        }
    }
}
