import FleetCore
import Queue

/// The Redis keys of the scheduler, all under `<queue prefix>:sched`.
public struct SchedulerKeys: Sendable {
    /// `<queue prefix>:sched`.
    public let prefix: String

    /// Keys under `queuePrefix`.
    public init(queuePrefix: String) { prefix = "\(queuePrefix):sched" }

    /// The leader lease: a string `<fencing token>|<instance>` with a TTL of the lease time.
    public var leader: String { "\(prefix):leader" }
    /// The fencing counter: incremented for every new lease, so tokens only grow.
    public var fence: String { "\(prefix):fence" }
    /// The leader's published schedule list: hash id → JSON ``ScheduleSummary``.
    public var list: String { "\(prefix):list" }
    /// The fire state of one schedule (hash; see ``ScheduleState``).
    public func state(_ id: String) -> String { "\(prefix):state:\(id)" }
    /// The idempotency key of one fire: holds the job id, expires after a while.
    public func fired(_ id: String, atMs: Int64) -> String { "\(prefix):fired:\(id):\(atMs)" }
}

/// Atomic scheduler steps.
enum SchedulerScripts {
    /// ARGV: leaderKey, fenceKey, instance, leaseMs, currentValue ("" if none) →
    /// `{value, status, pttl}`; status is `renewed` (still ours), `acquired` (new token), or `held` (by value).
    static let lease = RedisScript(
        #"""
        local leader, fence, instance, lease, current = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]
        local v = redis.call('GET', leader)
        if v then
          if v == current then
            redis.call('PEXPIRE', leader, lease)
            return {v, 'renewed', lease}
          end
          return {v, 'held', redis.call('PTTL', leader)}
        end
        local token = redis.call('INCR', fence)
        local value = token .. '|' .. instance
        redis.call('SET', leader, value, 'PX', lease)
        return {value, 'acquired', lease}
        """#
    )

    /// ARGV: leaderKey, value → 1 if the lease was ours and is released.
    static let release = RedisScript(
        #"""
        if redis.call('GET', ARGV[1]) == ARGV[2] then redis.call('DEL', ARGV[1]); return 1 end
        return 0
        """#
    )

    /// ARGV: leaderKey, value, stateKey, watermark, field, value… → 1 written, 0 fenced or older than the stored
    /// watermark (a paused former leader cannot move state back).
    static let record = RedisScript(
        #"""
        if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
        local stored = tonumber(redis.call('HGET', ARGV[3], 'watermark'))
        local w = tonumber(ARGV[4])
        if stored and w < stored then return 0 end
        redis.call('HSET', ARGV[3], 'watermark', ARGV[4])
        if #ARGV > 4 then redis.call('HSET', ARGV[3], unpack(ARGV, 5)) end
        return 1
        """#
    )

    /// ARGV: leaderKey, value, listKey, id, json, … → replaces the published list if the lease is ours.
    static let publish = RedisScript(
        #"""
        if redis.call('GET', ARGV[1]) ~= ARGV[2] then return 0 end
        redis.call('DEL', ARGV[3])
        if #ARGV > 3 then redis.call('HSET', ARGV[3], unpack(ARGV, 4)) end
        return 1
        """#
    )
}
