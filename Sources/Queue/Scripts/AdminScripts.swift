/// Lua scripts of the admin operations (`joycity queue retry|delete|cancel|purge`). Same conventions as
/// ``QueueScripts``: `ARGV[1]` prefix, `ARGV[2]` group, `ARGV[3]` time.
enum AdminScripts {
    /// ARGV: prefix, group, time, queue. Adds the queue to the paused set, raises the paused-set version and tells the
    /// workers (`pause <queue> <version>`). → the new version.
    static let pause = RedisScript(
        QueueScripts.library + #"""
            local q = ARGV[4]
            redis.call('SADD', P .. ':queues', q)
            redis.call('SADD', P .. ':paused', q)
            local v = redis.call('INCR', P .. ':paused:version')
            redis.call('PUBLISH', P .. ':events', 'pause ' .. q .. ' ' .. v)
            return v
            """#
    )

    /// ARGV: prefix, group, time, consumer, version. Records that the worker applied the paused set of `version`, unless it
    /// already confirmed a newer one (two confirmations of one worker can cross on the wire). → 1 if recorded.
    static let confirmPause = RedisScript(
        QueueScripts.library + #"""
            local seen = tonumber(redis.call('HGET', P .. ':paused:seen', ARGV[4]) or '0')
            if seen >= tonumber(ARGV[5]) then return 0 end
            redis.call('HSET', P .. ':paused:seen', ARGV[4], ARGV[5])
            return 1
            """#
    )

    /// ARGV: prefix, group, time, queue. Takes the queue out of the paused set and tells the workers. → the new version.
    static let resume = RedisScript(
        QueueScripts.library + #"""
            local q = ARGV[4]
            redis.call('SREM', P .. ':paused', q)
            local v = redis.call('INCR', P .. ':paused:version')
            redis.call('PUBLISH', P .. ':events', 'resume ' .. q .. ' ' .. v)
            return v
            """#
    )

    /// ARGV: prefix, group, time, queue, deadEntryId. Puts a dead letter back at the end of its queue as attempt 1.
    /// → the new entry id, or false when there is no such dead letter.
    static let retryDead = RedisScript(
        QueueScripts.library + #"""
            local q, did = ARGV[4], ARGV[5]
            local r = redis.call('XRANGE', qkey(q) .. ':dead', did, did)
            if not r[1] then return false end
            local f = r[1][2]
            local fields = {}
            local id
            for k = 1, #f, 2 do
              local name = f[k]
              if name == 'attempt' then
                fields[#fields + 1] = 'attempt'; fields[#fields + 1] = '1'
              elseif name ~= 'queue' and name ~= 'failed' and name ~= 'errors' and name ~= 'rec' then
                fields[#fields + 1] = name; fields[#fields + 1] = f[k + 1]
              end
              if name == 'id' then id = f[k + 1] end
            end
            if id then
              fields[#fields + 1] = 'rec'
              fields[#fields + 1] = '1'
            end
            local eid = redis.call('XADD', qkey(q), '*', unpack(fields))
            redis.call('XDEL', qkey(q) .. ':dead', did)
            if id then
              redis.call('HSET', rkey(id), 'state', 'queued', 'entry', eid, 'queue', q)
              redis.call('HDEL', rkey(id), 'dead', 'finished')
              redis.call('PERSIST', rkey(id))
            end
            return eid
            """#
    )

    /// ARGV: prefix, group, time, jobId, recordTTLms. Cancels a waiting job at once (delayed, retrying, parked) or asks
    /// workers to (queued, active). → 'cancelled', 'requested', or the final state it already had
    /// ('completed', 'dead', 'cancelled'), or 'unknown' without a record.
    static let cancel = RedisScript(
        QueueScripts.library + #"""
            local id, ttl = ARGV[4], tonumber(ARGV[5])
            local rec = rkey(id)
            local state = redis.call('HGET', rec, 'state')
            local q = redis.call('HGET', rec, 'queue')
            local now = now_ms()
            if state == 'completed' or state == 'dead' or state == 'cancelled' then return state end
            if state == 'delayed' or state == 'retrying' or state == 'parked' then
              if state == 'parked' then
                local ckey = redis.call('HGET', rec, 'ckey')
                if ckey then redis.call('LREM', P .. ':parked:' .. ckey, 0, id) end
              else
                redis.call('ZREM', qkey(q) .. ':delayed', id)
              end
              redis.call('HSET', rec, 'state', 'cancelled', 'finished', now)
              redis.call('PEXPIRE', rec, ttl)
              release_unique(redis.call('HGET', rec, 'unique'), id)
              redis.call('HINCRBY', qkey(q) .. ':stats', 'cancelled', 1)
              return 'cancelled'
            end
            redis.call('SADD', P .. ':cancelled', id)
            redis.call('PUBLISH', P .. ':events', 'cancel ' .. id)
            return state and 'requested' or 'unknown'
            """#
    )

    /// ARGV: prefix, group, time, queue. Drops every waiting and delayed job of the queue (running ones finish, but their
    /// acknowledgements are rejected), releasing their unique keys. → `{waiting, delayed}` removed.
    static let purge = RedisScript(
        QueueScripts.library + #"""
            local q = ARGV[4]
            local stream = qkey(q)
            local delayedIds = redis.call('ZRANGE', stream .. ':delayed', 0, -1)
            for _, id in ipairs(delayedIds) do
              release_unique(redis.call('HGET', rkey(id), 'unique'), id)
              redis.call('DEL', rkey(id))
            end
            redis.call('DEL', stream .. ':delayed')
            local waiting = 0
            if redis.call('EXISTS', stream) == 1 then
              -- Entries up to the group's last delivered id were handed to workers (running, or acknowledged and not yet
              -- trimmed): only those after it were waiting.
              local last = last_delivered(stream) or '0-0'
              local cursor = '-'
              while true do
                local batch = redis.call('XRANGE', stream, cursor, '+', 'COUNT', 1000)
                if #batch == 0 then break end
                for _, e in ipairs(batch) do
                  local uniq = field(e[2], 'unique')
                  if uniq then release_unique(uniq, field(e[2], 'id')) end
                  if older(last, e[1]) then waiting = waiting + 1 end
                end
                cursor = '(' .. batch[#batch][1]
              end
              redis.call('DEL', stream)
            end
            redis.call('DEL', stream .. ':ids')
            redis.call('XGROUP', 'CREATE', stream, G, '0', 'MKSTREAM')
            return {waiting, #delayedIds}
            """#
    )
}
