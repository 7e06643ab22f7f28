import FleetCore

/// A fleet-wide rate limiter in Redis (GCRA: generic cell rate algorithm), so any number of workers together stay
/// within, say, WB's per-token request limits.
///
/// ```swift
/// let limiter = RateLimiter(redis: redis, prefix: "joycity")
/// try await limiter.wait(key: "wb:\(tokenId)", limit: 60, per: .seconds(60))   // then send the request
/// ```
public struct RateLimiter: Sendable {
    /// The Redis client.
    public let redis: RedisClient
    /// Key prefix; limits live at `<prefix>:rate:<key>`.
    public let prefix: String

    /// Creates a limiter.
    public init(redis: RedisClient, prefix: String) {
        self.redis = redis
        self.prefix = prefix
    }

    static let script = RedisScript(
        #"""
        local key = KEYS[1]
        local emission = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tat = tonumber(redis.call('GET', key) or '0')
        if tat < now then tat = now end
        local allowAt = tat - tolerance
        if now >= allowAt then
          local newTat = tat + emission
          redis.call('SET', key, newTat, 'PX', newTat - now + 1000)
          return 0
        end
        return allowAt - now
        """#
    )

    /// Takes one unit of `key`'s budget if there is one.
    /// - Parameters:
    ///   - limit: units per `period` (sustained rate).
    ///   - burst: units that may be taken at once after a quiet spell (default 1: evenly spaced).
    /// - Returns: `.zero` when the unit was taken, else how long to wait before trying again.
    /// - Throws: ``QueueError`` `invalidArgument` for a limit or burst below 1; ``RedisError``.
    public func acquire(key: String, limit: Int, per period: Duration, burst: Int = 1) async throws -> Duration {
        let (emission, tolerance) = try Self.cell(limit: limit, period: period, burst: burst)
        let reply = try await redis.evaluate(RateLimiter.script, keys: ["\(prefix):rate:\(key)"], arguments: [String(emission), String(tolerance)])
        guard let wait = reply.int else { throw RedisError(.protocolError, "the rate limiter answered \(reply)") }
        return .milliseconds(wait)
    }

    static let holdScript = RedisScript(
        #"""
        local key = KEYS[1]
        local hold = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2])
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local tat = tonumber(redis.call('GET', key) or '0')
        local newTat = now + hold + tolerance
        if newTat > tat then
          redis.call('SET', key, newTat, 'PX', newTat - now + 1000)
        end
        return 0
        """#
    )

    /// Empties `key`'s budget for `duration`, fleet-wide: nobody takes a unit before it passes. Use it when the
    /// remote side says it is out of patience (WB's 429 with `X-Ratelimit-Retry`).
    /// - Parameters: as ``acquire(key:limit:per:burst:)``, which must be given the same `limit`, `period`, `burst`.
    public func hold(key: String, for duration: Duration, limit: Int, per period: Duration, burst: Int = 1) async throws {
        let (_, tolerance) = try Self.cell(limit: limit, period: period, burst: burst)
        _ = try await redis.evaluate(
            RateLimiter.holdScript,
            keys: ["\(prefix):rate:\(key)"],
            arguments: [String(max(0, duration.milliseconds)), String(tolerance)]
        )
    }

    /// GCRA's emission interval (ms between units) and burst tolerance (ms) for a budget.
    static func cell(limit: Int, period: Duration, burst: Int) throws -> (emission: Int64, tolerance: Int64) {
        guard limit >= 1, burst >= 1 else {
            throw QueueError(.invalidArgument, "a rate limit needs limit ≥ 1 and burst ≥ 1 (got \(limit), \(burst))")
        }
        let emission = max(1, period.milliseconds / Int64(limit))
        return (emission, emission * Int64(burst - 1))
    }

    /// Waits until one unit of `key`'s budget is taken.
    /// - Throws: `CancellationError` when the task is cancelled while waiting; as ``acquire(key:limit:per:burst:)``.
    public func wait(key: String, limit: Int, per period: Duration, burst: Int = 1) async throws {
        while true {
            let wait = try await acquire(key: key, limit: limit, per: period, burst: burst)
            if wait == .zero { return }
            try await Task.sleep(for: wait)
        }
    }
}
