import Crypto
import FleetCore
import Foundation
import Logging
import Queue

/// Password attempts, counted in Redis (GCRA, ``RateLimiter``) so the limits hold across API replicas:
/// - per account *and* client address (`perAccount`): a guesser spends their own budget, not the owner's;
/// - per address (`perIP`), whatever the account;
/// - per account over all addresses (`perAccountGlobal`, much higher): the ceiling on a spread-out attack. An address
///   that signed in to the account before (remembered for 30 days) is exempt from it, so the owner is never locked
///   out by others.
///
/// An account's budgets are keyed by the account (its user id), so signing in by login and by email, and
/// `POST /api/auth/password` with a stolen access token, all draw on them; an unknown login name is limited by the
/// name, like a known one, so the limiter reveals nothing.
public struct LoginLimiter: Sendable {
    let limiter: RateLimiter
    let redis: RedisClient
    let prefix: String
    let perAccount: RateSpec
    let perAccountGlobal: RateSpec
    let perIP: RateSpec
    let logger: Logger

    /// How long an address that signed in stays exempt from the account's global ceiling.
    static let knownFor: Duration = .seconds(30 * 86_400)

    /// - Parameters:
    ///   - perAccount: attempts per account and address; `perAccountGlobal`: per account over all addresses;
    ///     `perIP`: per address over all accounts.
    public init(redis: RedisClient, prefix: String, perAccount: RateSpec, perAccountGlobal: RateSpec, perIP: RateSpec, logger: Logger) {
        limiter = RateLimiter(redis: redis, prefix: "\(prefix):api")
        self.redis = redis
        self.prefix = "\(prefix):api"
        self.perAccount = perAccount
        self.perAccountGlobal = perAccountGlobal
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

    /// Takes one attempt of `account`'s budget from this address, and of its global ceiling unless the address
    /// signed in to it before.
    /// - Throws: as ``admit(ip:)``.
    public func admit(account: Account, ip: String) async throws {
        let message = "too many password attempts for this login; try again later"
        try await take("\(account.key):\(Self.keyPart(ip))", perAccount, ip: ip, message)
        if case .user(let id) = account, await isKnown(ip: ip, userID: id) { return }
        try await take(account.key, perAccountGlobal, ip: ip, message)
    }

    /// Remembers that `ip` signed in to `userID` (best effort: without it, only the global ceiling applies to it).
    public func remember(ip: String, userID: Int64) async {
        do {
            try await redis.send(RedisCommand("SET", knownKey(ip: ip, userID: userID), "1", "PX", String(Self.knownFor.milliseconds)))
                .throwingError()
        } catch {
            logger.warning("could not remember a sign-in address", metadata: ["error": "\(error)"])
        }
    }

    func isKnown(ip: String, userID: Int64) async -> Bool {
        (try? await redis.send(RedisCommand("EXISTS", knownKey(ip: ip, userID: userID))).int) == 1
    }

    /// Where a sign-in address of a user is remembered.
    func knownKey(ip: String, userID: Int64) -> String { "\(prefix):login-known:\(userID):\(Self.keyPart(ip))" }

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
