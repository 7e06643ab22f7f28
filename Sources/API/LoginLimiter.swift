import FleetCore
import Foundation
import Logging
import Queue
import S3

/// Login attempts per login name and per client address, counted in Redis (GCRA, ``RateLimiter``) so the limits
/// hold across API replicas. Unknown login names are limited like known ones, so the limiter reveals nothing.
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

    /// Takes one attempt of both budgets.
    /// - Throws: ``APIError`` 429 with `Retry-After` when either is spent; 503 when Redis is unreachable (failing
    ///   open would lift the limit for everyone).
    public func admit(identifier: String, ip: String) async throws {
        let account = Self.keyPart(identifier.lowercased())
        do {
            let ipWait = try await limiter.acquire(key: "login-ip:\(Self.keyPart(ip))", limit: perIP.limit, per: perIP.period, burst: perIP.burst)
            if ipWait > .zero {
                throw APIError.tooManyRequests("too many sign-in attempts from this address; try again later", retryAfter: ipWait)
            }
            let accountWait = try await limiter.acquire(key: "login-account:\(account)", limit: perAccount.limit, per: perAccount.period, burst: perAccount.burst)
            if accountWait > .zero {
                throw APIError.tooManyRequests("too many sign-in attempts for this login; try again later", retryAfter: accountWait)
            }
        } catch let error as APIError {
            logger.notice("login attempt refused by the rate limit", metadata: ["client.ip": "\(ip)"])
            throw error
        } catch {
            logger.error("login limiter unreachable", metadata: ["error": "\(error)"])
            throw APIError.unavailable("sign-in is unavailable for a moment (Redis is not reachable); try again shortly")
        }
    }

    /// A fixed-length, key-safe digest of `text` (login names and addresses can be anything a client sends).
    static func keyPart(_ text: String) -> String {
        String(SigV4.hexSHA256(Array(text.utf8)).prefix(32))
    }
}
