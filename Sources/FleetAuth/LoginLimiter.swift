import Crypto
import FleetCore
import Foundation
import Logging
import Queue

/// Password attempts per account and per client address, counted in Redis (GCRA, ``RateLimiter``) so the limits
/// hold across API replicas. An account's budget is keyed by the account (its user id), so signing in by login and
/// by email, and `POST /api/auth/password` with a stolen access token, all draw on one budget; an unknown login
/// name is limited by the name, like a known one, so the limiter reveals nothing.
public struct LoginLimiter: Sendable {
    let limiter: RateLimiter
    let perAccount: RateSpec
    let perIP: RateSpec
    let logger: Logger

    public init(redis: RedisClient, prefix: String, perAccount: RateSpec, perIP: RateSpec, logger: Logger) {
        limiter = RateLimiter(redis: redis, prefix: "\(prefix):api")
        self.perAccount = perAccount
        self.perIP = perIP
        self.logger = logger
    }

    /// Whose budget an attempt draws on.
    public enum Account: Sendable {
        /// A known user.
        case user(Int64)
        /// A login name or email no user has.
        case unknown(String)

        var key: String {
            switch self {
            case .user(let id): "login-user:\(id)"
            case .unknown(let identifier): "login-account:\(LoginLimiter.keyPart(identifier.lowercased()))"
            }
        }
    }

    /// Takes one attempt of the address's budget (before anything is looked up).
    /// - Throws: ``AuthError`` `rateLimited` (the API answers 429 with `Retry-After`) when it is spent;
    ///   `unavailable` when Redis is unreachable (failing open would lift the limit for everyone).
    public func admit(ip: String) async throws {
        try await take("login-ip:\(Self.keyPart(ip))", perIP, ip: ip, "too many sign-in attempts from this address; try again later")
    }

    /// Takes one attempt of `account`'s budget.
    /// - Throws: as ``admit(ip:)``.
    public func admit(account: Account, ip: String) async throws {
        try await take(account.key, perAccount, ip: ip, "too many password attempts for this login; try again later")
    }

    private func take(_ key: String, _ spec: RateSpec, ip: String, _ message: String) async throws {
        do {
            let wait = try await limiter.acquire(key: key, limit: spec.limit, per: spec.period, burst: spec.burst)
            if wait > .zero { throw AuthError(.rateLimited(retryAfter: wait), message) }
        } catch let error as AuthError {
            logger.notice("login attempt refused by the rate limit", metadata: ["client.ip": "\(ip)"])
            throw error
        } catch {
            logger.error("login limiter unreachable", metadata: ["error": "\(error)"])
            throw AuthError(.unavailable, "sign-in is unavailable for a moment (Redis is not reachable); try again shortly")
        }
    }

    /// A fixed-length, key-safe digest of `text` (login names and addresses can be anything a client sends).
    static func keyPart(_ text: String) -> String {
        String(Hex.lowercase(SHA256.hash(data: Data(text.utf8))).prefix(32))
    }
}
