/// The Lua scripts that make each multi-key queue step atomic. Every script starts with ``library`` (shared local
/// functions) and reads the key prefix from `ARGV[1]`, the consumer group from `ARGV[2]` and the time from `ARGV[3]`
/// (ms since the epoch from the queue's injected clock, or `0`: read Redis's `TIME`; ``StreamQueue/clock``).
///
/// Job units (``library`` `read_job`) are laid out as
/// `queue, id, runAtMs, uniqueKey, uniqueTTLms, debounceKey, fieldCount, field, value, …`.
enum QueueScripts {
    static let library = #"""
        local P = ARGV[1]
        local G = ARGV[2]
        local NOW = tonumber(ARGV[3]) or 0
        local ENVELOPE = {'v', 'id', 'type', 'payload', 'attempt', 'max', 'enq', 'unique', 'ckey', 'climit', 'trace', 'next'}
        -- The caller's clock when it sent one (a test's hand-moved clock), else Redis's own.
        local function now_ms()
          if NOW > 0 then return NOW end
          local t = redis.call('TIME')
          return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        end
        local function qkey(q) return P .. ':q:' .. q end
        local function rkey(id) return P .. ':job:' .. id end
        -- A ULID names its own time, so a reader finds its entry among the stream's entries of a few minutes. Every
        -- other job (another kind of id, or a ULID more than 5 minutes off Redis's clock) is indexed while its entry
        -- is live: `P:q:<queue>:ids` maps the job id to the entry id.
        local CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'
        local function ulid_ms(id)
          if #id ~= 26 or string.find(id, '[^0-9A-HJKMNP-TV-Z]') then return nil end
          local ms = 0
          for k = 1, 10 do ms = ms * 32 + string.find(CROCKFORD, string.sub(id, k, k), 1, true) - 1 end
          return ms
        end
        local function index_entry(q, id, eid, now)
          local ms = ulid_ms(id)
          if not ms or math.abs(ms - now) > \#(JobID.clockSkewMs) then redis.call('HSET', qkey(q) .. ':ids', id, eid) end
        end
        local function unindex(q, id) redis.call('HDEL', qkey(q) .. ':ids', id) end
        local function field(fields, name)
          for k = 1, #fields, 2 do if fields[k] == name then return fields[k + 1] end end
          return nil
        end
        -- A delivery is fenced by its consumer and its delivery count: a reclaim (XCLAIM, XAUTOCLAIM) adds one to
        -- the count, so an earlier delivery of the same entry, even to the same consumer, no longer owns it.
        local function owned_by(stream, eid, consumer, deliveries)
          local p = redis.call('XPENDING', stream, G, eid, eid, 1)
          return p[1] ~= nil and p[1][2] == consumer and p[1][4] == tonumber(deliveries)
        end
        -- The group's last-delivered-id of an existing stream (nil when the group does not exist).
        local function last_delivered(stream)
          for _, g in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
            local name, last
            for k = 1, #g, 2 do
              if g[k] == 'name' then name = g[k + 1] elseif g[k] == 'last-delivered-id' then last = g[k + 1] end
            end
            if name == G then return last end
          end
          return nil
        end
        local function older(a, b)
          local am, as = string.match(a, '(%d+)-(%d+)')
          local bm, bs = string.match(b, '(%d+)-(%d+)')
          am, as, bm, bs = tonumber(am), tonumber(as), tonumber(bm), tonumber(bs)
          return am < bm or (am == bm and as < bs)
        end
        local function requeue_from_record(q, id)
          local vals = redis.call('HMGET', rkey(id), unpack(ENVELOPE))
          if not vals[2] then return false end
          local fields = {}
          for i, name in ipairs(ENVELOPE) do
            if vals[i] then fields[#fields + 1] = name; fields[#fields + 1] = vals[i] end
          end
          fields[#fields + 1] = 'rec'
          fields[#fields + 1] = '1'
          local eid = redis.call('XADD', qkey(q), '*', unpack(fields))
          redis.call('HSET', rkey(id), 'state', 'queued', 'entry', eid)
          return eid
        end
        local function release_unique(uniq, id)
          if uniq and uniq ~= '' then
            local k = P .. ':unique:' .. uniq
            if redis.call('GET', k) == id then redis.call('DEL', k) end
          end
        end
        local function unpark(ckey, climit, now)
          local slots = P .. ':slots:' .. ckey
          local parked = P .. ':parked:' .. ckey
          redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
          local free = climit - redis.call('ZCARD', slots)
          while free > 0 do
            local id = redis.call('LPOP', parked)
            if not id then break end
            local q = redis.call('HGET', rkey(id), 'queue')
            if q and requeue_from_record(q, id) then free = free - 1 end
          end
          if redis.call('LLEN', parked) == 0 then redis.call('SREM', P .. ':parked', ckey) end
        end
        local function release_slot(ckey, climit, id, now)
          if not ckey or ckey == '' then return end
          redis.call('ZREM', P .. ':slots:' .. ckey, id)
          unpark(ckey, tonumber(climit) or 1, now)
        end
        local function read_job(i)
          local j = {q = ARGV[i], id = ARGV[i + 1], runAt = tonumber(ARGV[i + 2]), uniq = ARGV[i + 3],
                     uttl = tonumber(ARGV[i + 4]), debounce = ARGV[i + 5]}
          local n = tonumber(ARGV[i + 6]) or 0
          local fields = {}
          for k = 1, n do fields[k] = ARGV[i + 6 + k] end
          j.fields = fields
          j.nfields = tonumber(ARGV[i + 6])
          return j, i + 7 + n
        end
        -- Why job unit `j` cannot be enqueued, or nil. Every script checks all its units before its first write:
        -- Redis keeps the writes of a script that fails half-way.
        local function job_problem(j)
          if not j.q or j.q == '' then return 'no queue' end
          if not j.id or j.id == '' then return 'no job id' end
          if not j.runAt then return 'runAtMs is not a number' end
          if not j.uttl or j.uttl < 1 or j.uttl ~= math.floor(j.uttl) then return 'uniqueTTLms must be a whole number of 1 or more' end
          if not j.nfields or j.nfields % 2 ~= 0 then return 'fieldCount must be an even number' end
          local id, jtype, payload = field(j.fields, 'id'), field(j.fields, 'type'), field(j.fields, 'payload')
          if id ~= j.id then return "the fields must hold 'id' equal to the unit's job id" end
          if not jtype or jtype == '' then return "the fields must hold 'type'" end
          if not payload then return "the fields must hold 'payload'" end
          return nil
        end
        -- Reads `n` job units from ARGV[i]; → the units and the index after them, or nil and an error reply.
        local function read_jobs(i, n, what)
          local jobs = {}
          for k = 1, n do
            if i > #ARGV then return nil, redis.error_reply('ERR ' .. what .. ': ARGV ends before job unit ' .. k .. ' of ' .. n) end
            local j
            j, i = read_job(i)
            local problem = job_problem(j)
            if problem then return nil, redis.error_reply('ERR ' .. what .. ': job unit ' .. k .. ' of ' .. n .. ' (' .. tostring(j.id) .. '): ' .. problem) end
            jobs[k] = j
          end
          return jobs, i
        end
        local function enqueue_one(j, now)
          local q, id = j.q, j.id
          if j.debounce ~= '' then
            local dkey = P .. ':debounce:' .. j.debounce
            local existing = redis.call('GET', dkey)
            if existing and redis.call('HGET', rkey(existing), 'state') == 'delayed' then
              for i = 1, #j.fields, 2 do
                local f = j.fields[i]
                if f ~= 'id' and f ~= 'enq' then redis.call('HSET', rkey(existing), f, j.fields[i + 1]) end
              end
              redis.call('HSET', rkey(existing), 'runAt', j.runAt)
              redis.call('ZADD', qkey(q) .. ':delayed', j.runAt, existing)
              redis.call('PEXPIRE', dkey, math.max(j.runAt - now, 0) + j.uttl)
              return {existing, 'debounced', ''}
            end
          end
          if j.uniq ~= '' then
            local ukey = P .. ':unique:' .. j.uniq
            if not redis.call('SET', ukey, id, 'NX', 'PX', math.max(j.runAt - now, 0) + j.uttl) then
              return {redis.call('GET', ukey) or '', 'duplicate', ''}
            end
          end
          redis.call('SADD', P .. ':queues', q)
          redis.call('HINCRBY', qkey(q) .. ':stats', 'enqueued', 1)
          if j.runAt > now then
            redis.call('HSET', rkey(id), 'state', 'delayed', 'queue', q, 'runAt', j.runAt, unpack(j.fields))
            if j.debounce ~= '' then
              redis.call('HSET', rkey(id), 'debounce', j.debounce)
              redis.call('SET', P .. ':debounce:' .. j.debounce, id, 'PX', math.max(j.runAt - now, 0) + j.uttl)
            end
            redis.call('ZADD', qkey(q) .. ':delayed', j.runAt, id)
            return {id, 'delayed', ''}
          end
          local eid = redis.call('XADD', qkey(q), '*', unpack(j.fields))
          index_entry(q, id, eid, now)
          return {id, 'queued', eid}
        end
        local function drop_cancelled(q, entries, now, ttl)
          if redis.call('SCARD', P .. ':cancelled') == 0 then return entries, {} end
          local kept, dropped = {}, {}
          for _, e in ipairs(entries) do
            local id = e[2] and field(e[2], 'id')
            if id and redis.call('SREM', P .. ':cancelled', id) == 1 then
              redis.call('XACK', qkey(q), G, e[1])
              unindex(q, id)
              redis.call('HSET', rkey(id), 'state', 'cancelled', 'queue', q, 'finished', now)
              redis.call('PEXPIRE', rkey(id), ttl)
              release_unique(field(e[2], 'unique'), id)
              redis.call('HINCRBY', qkey(q) .. ':stats', 'cancelled', 1)
              dropped[#dropped + 1] = e[1]
            else
              kept[#kept + 1] = e
            end
          end
          return kept, dropped
        end

        """#

    /// ARGV: prefix, group, time, count, job units… → per job `{id, status, entryId}`; status is queued, delayed,
    /// duplicate (id is the holder's) or debounced (id is the pending job's).
    /// Every unit is checked before the first is written: a bad unit fails the call with `ERR enqueue: job unit k of
    /// n (id): …` and nothing of it is kept.
    static let enqueue = RedisScript(
        library + #"""
            local now = now_ms()
            local n = tonumber(ARGV[4])
            if not n or n < 0 then return redis.error_reply('ERR enqueue: ARGV[4] must be the number of job units') end
            local jobs, err = read_jobs(5, n, 'enqueue')
            if not jobs then return err end
            local out = {}
            for k = 1, n do out[k] = enqueue_one(jobs[k], now) end
            return out
            """#
    )

    /// ARGV: prefix, group, time, recordTTLms, queue, entryId… → the entry ids that were cancelled (acked, recorded).
    /// For entries that came from a blocking read or a reclaim.
    static let dropCancelled = RedisScript(
        library + #"""
            local ttl = tonumber(ARGV[4])
            local q = ARGV[5]
            if redis.call('SCARD', P .. ':cancelled') == 0 then return {} end
            local entries = {}
            for i = 6, #ARGV do
              local r = redis.call('XRANGE', qkey(q), ARGV[i], ARGV[i])
              if r[1] then entries[#entries + 1] = r[1] end
            end
            local _, dropped = drop_cancelled(q, entries, now_ms(), ttl)
            return dropped
            """#
    )

    /// ARGV: prefix, group, time, consumer, recordTTLms, bucketMs, queue, lowest entry id, highest entry id, groupCount, then
    /// the plain jobs (completed, no follow-ups, unique key, concurrency key or record hash) in groups that share their
    /// record and delivery count: record (JSON for the done bucket), deliveries, jobCount, then per job entryId, jobId;
    /// then every other job: entryId, jobId, record, extra, followUpCount, job units…, up to the end of ARGV. `extra` is
    /// `uniqueKey US concurrencyKey US concurrencyLimit US hasRecord US state US result US attempt US deliveries` joined
    /// by the unit separator (0x1F; keys cannot contain control characters).
    /// Fenced per delivery: a job this consumer no longer owns, or owns under a later delivery (a reclaim came
    /// between), is not acked and its follow-ups are not enqueued; one delivery is accepted once. Ownership is read
    /// with one `XPENDING lo hi … consumer` over the batch's id range (bounded by the consumer's leased entries), acks
    /// go out as one `XACK`, and records of jobs without a record hash go into one `HSET` of the current done bucket
    /// (`P:done:<queue>:<bucket>`), which expires whole. A plain job costs two ARGV (each ARGV is a Redis object and a
    /// Lua string): this script runs once per batch of finished jobs and is the largest Redis cost per job.
    /// → per job, in ARGV order, 1 (completed) or 0 (rejected: lost to a reclaim).
    static let complete = RedisScript(
        library + #"""
            local consumer = ARGV[4]
            local ttl = tonumber(ARGV[5])
            local bucketMs = tonumber(ARGV[6])
            local q = ARGV[7]
            local lo, hi = ARGV[8], ARGV[9]
            local groups = tonumber(ARGV[10])
            -- Check every argument before the first write: Redis keeps the writes of a script that fails half-way.
            if not ttl or not bucketMs or not groups then return redis.error_reply('ERR complete: recordTTLms, bucketMs and groupCount must be numbers') end
            do
              local k = 11
              for g = 1, groups do
                local count = tonumber(ARGV[k + 2])
                if not tonumber(ARGV[k + 1]) or not count then return redis.error_reply('ERR complete: group ' .. g .. ' has no deliveries and jobCount') end
                k = k + 3 + 2 * count
              end
              if k - 1 > #ARGV then return redis.error_reply('ERR complete: ARGV ends inside the plain jobs') end
              while k <= #ARGV do
                local follow = tonumber(ARGV[k + 4])
                if k + 4 > #ARGV or not follow then return redis.error_reply('ERR complete: job ' .. tostring(ARGV[k + 1]) .. ' is cut short') end
                local parts = 0
                for _ in string.gmatch(ARGV[k + 3] .. '\31', '([^\31]*)\31') do parts = parts + 1 end
                if parts ~= 8 then return redis.error_reply('ERR complete: job ' .. ARGV[k + 1] .. ' has ' .. parts .. ' extra fields, not 8') end
                local id = ARGV[k + 1]
                k = k + 5
                for f = 1, follow do
                  if k > #ARGV then return redis.error_reply('ERR complete: ARGV ends before follow-up ' .. f .. ' of ' .. id) end
                  local fj
                  fj, k = read_job(k)
                  local problem = job_problem(fj)
                  if problem then return redis.error_reply('ERR complete: follow-up ' .. f .. ' of ' .. id .. ' (' .. tostring(fj.id) .. '): ' .. problem) end
                end
              end
            end
            local stream = qkey(q)
            local now = now_ms()
            -- Entry id -> delivery count of what this consumer holds; an accepted entry is taken out, so the same
            -- delivery never counts twice.
            local mine = {}
            for _, e in ipairs(redis.call('XPENDING', stream, G, lo, hi, 1000000, consumer)) do mine[e[1]] = e[4] end
            local anyCancelled = redis.call('SCARD', P .. ':cancelled') > 0
            local ack, done, out, done_ids = {}, {}, {}, {}
            local processed, cancelled = 0, 0
            local i = 11
            for _ = 1, groups do
              local record, deliveries, count = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
              i = i + 3
              for _ = 1, count do
                local eid, id = ARGV[i], ARGV[i + 1]
                if mine[eid] == deliveries then
                  mine[eid] = nil
                  ack[#ack + 1] = eid
                  done[#done + 1] = id
                  done[#done + 1] = record
                  processed = processed + 1
                  if anyCancelled then redis.call('SREM', P .. ':cancelled', id) end
                  out[#out + 1] = 1
                else
                  out[#out + 1] = 0
                end
                i = i + 2
              end
            end
            while i <= #ARGV do
              local eid, id, extra = ARGV[i], ARGV[i + 1], ARGV[i + 3]
              local follow = tonumber(ARGV[i + 4])
              local x = {}
              for part in string.gmatch(extra .. '\31', '([^\31]*)\31') do x[#x + 1] = part end
              local uniq, ckey, climit, hasRecord, state, result, attempt = x[1], x[2], x[3], x[4], x[5], x[6], x[7]
              local owned = mine[eid] ~= nil and mine[eid] == tonumber(x[8])
              if owned then
                mine[eid] = nil
                ack[#ack + 1] = eid
                done_ids[#done_ids + 1] = id
                if hasRecord == '1' then
                  local rec = rkey(id)
                  redis.call('HSET', rec, 'state', state, 'queue', q, 'finished', now, 'attempt', attempt, 'worker', consumer)
                  if result ~= '' then redis.call('HSET', rec, 'result', result) end
                  redis.call('PEXPIRE', rec, ttl)
                else
                  done[#done + 1] = id
                  done[#done + 1] = ARGV[i + 2]
                end
                if uniq ~= '' then release_unique(uniq, id) end
                if ckey ~= '' then release_slot(ckey, climit, id, now) end
                if state == 'completed' then processed = processed + 1 else cancelled = cancelled + 1 end
                if anyCancelled then redis.call('SREM', P .. ':cancelled', id) end
                out[#out + 1] = 1
              else
                out[#out + 1] = 0
              end
              i = i + 5
              -- Follow-ups (sent only for completed jobs) go out with the acknowledgement, or not at all.
              for _ = 1, follow do
                local fj
                fj, i = read_job(i)
                if owned then enqueue_one(fj, now) end
              end
            end
            if #ack > 0 then redis.call('XACK', stream, G, unpack(ack)) end
            if #ack > 0 and redis.call('EXISTS', stream .. ':ids') == 1 then
              -- The plain jobs' ids are every other item of `done`.
              for k = 1, #done, 2 do done_ids[#done_ids + 1] = done[k] end
              redis.call('HDEL', stream .. ':ids', unpack(done_ids))
            end
            if #done > 0 then
              local bucket = math.floor(now / bucketMs)
              local key = P .. ':done:' .. q .. ':' .. bucket
              redis.call('HSET', key, unpack(done))
              redis.call('PEXPIRE', key, (bucket + 1) * bucketMs - now + ttl)
              -- The queue's index of live buckets (score: when the bucket expires), so readers need not know the width.
              redis.call('ZADD', stream .. ':done', (bucket + 1) * bucketMs + ttl, key)
            end
            if processed > 0 then redis.call('HINCRBY', stream .. ':stats', 'processed', processed) end
            if cancelled > 0 then redis.call('HINCRBY', stream .. ':stats', 'cancelled', cancelled) end
            return out
            """#
    )

    /// ARGV: prefix, group, time, consumer, deadTTLms, deadMaxLen, count, then per job:
    /// queue, entryId, deliveries, jobId, uniqueKey, concurrencyKey, concurrencyLimit, errorJSON, retry (1/0), runAtMs,
    /// fieldCount, fields… (the envelope as it should be stored: attempt already advanced for a retry).
    /// Fenced like `complete` (consumer and delivery count). → per job: 'retrying', 'dead' or 'rejected'.
    static let fail = RedisScript(
        library + #"""
            local consumer = ARGV[4]
            local deadTTL = tonumber(ARGV[5])
            local deadMax = ARGV[6]
            local n = tonumber(ARGV[7])
            -- Check every job before the first write: Redis keeps the writes of a script that fails half-way.
            if not deadTTL or not n then return redis.error_reply('ERR fail: deadTTLms and count must be numbers') end
            do
              local k = 8
              for j = 1, n do
                local nf = tonumber(ARGV[k + 10])
                if k + 10 > #ARGV or not nf or nf % 2 ~= 0 or not tonumber(ARGV[k + 2]) or (ARGV[k + 8] == '1' and not tonumber(ARGV[k + 9])) then
                  return redis.error_reply('ERR fail: job ' .. j .. ' of ' .. n .. ' (' .. tostring(ARGV[k + 3]) .. ') is malformed')
                end
                if not pcall(cjson.decode, ARGV[k + 7]) then
                  return redis.error_reply('ERR fail: job ' .. j .. ' of ' .. n .. ' (' .. ARGV[k + 3] .. '): errorJSON is not JSON')
                end
                k = k + 11 + nf
              end
              if k - 1 > #ARGV then return redis.error_reply('ERR fail: ARGV ends inside the last job') end
            end
            local now = now_ms()
            local i = 8
            local out = {}
            for _ = 1, n do
              local q, eid, deliveries, id, uniq, ckey, climit, err, retry, runAt = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3],
                ARGV[i + 4], ARGV[i + 5], ARGV[i + 6], ARGV[i + 7], ARGV[i + 8], tonumber(ARGV[i + 9])
              local nf = tonumber(ARGV[i + 10])
              local fields = {}
              for k = 1, nf do fields[k] = ARGV[i + 10 + k] end
              i = i + 11 + nf
              if owned_by(qkey(q), eid, consumer, deliveries) then
                redis.call('XACK', qkey(q), G, eid)
                unindex(q, id)
                local rec = rkey(id)
                -- The record key is the queue's own; something that is not a record there must not keep the job from
                -- being recorded.
                local kind = redis.call('TYPE', rec).ok
                if kind ~= 'hash' and kind ~= 'none' then redis.call('DEL', rec) end
                local errors = cjson.decode(redis.call('HGET', rec, 'errors') or '[]')
                errors[#errors + 1] = cjson.decode(err)
                while #errors > 20 do table.remove(errors, 1) end
                local encoded = cjson.encode(errors)
                redis.call('HINCRBY', qkey(q) .. ':stats', 'failed', 1)
                release_slot(ckey, climit, id, now)
                if retry == '1' then
                  redis.call('HSET', rec, 'state', 'retrying', 'queue', q, 'runAt', runAt, 'errors', encoded, unpack(fields))
                  redis.call('PERSIST', rec)
                  redis.call('ZADD', qkey(q) .. ':delayed', runAt, id)
                  redis.call('HINCRBY', qkey(q) .. ':stats', 'retried', 1)
                  out[#out + 1] = 'retrying'
                else
                  local dead = {'queue', q, 'failed', now, 'errors', encoded}
                  for k = 1, #fields do dead[#dead + 1] = fields[k] end
                  local did = redis.call('XADD', qkey(q) .. ':dead', 'MAXLEN', '~', deadMax, '*', unpack(dead))
                  redis.call('HSET', rec, 'state', 'dead', 'queue', q, 'finished', now, 'errors', encoded, 'dead', did, unpack(fields))
                  redis.call('PEXPIRE', rec, deadTTL)
                  release_unique(uniq, id)
                  redis.call('HINCRBY', qkey(q) .. ':stats', 'dead', 1)
                  out[#out + 1] = 'dead'
                end
              else
                out[#out + 1] = 'rejected'
              end
            end
            return out
            """#
    )

    /// ARGV: prefix, group, time, consumer, leaseMs, count, then per job: queue, entryId, deliveries, jobId, concurrencyKey.
    /// Resets the idle time of deliveries this consumer still owns (and renews their concurrency slots); `XCLAIM …
    /// JUSTID` leaves the delivery count as it is. → the entry ids whose delivery this consumer no longer owns.
    static let extend = RedisScript(
        library + #"""
            local consumer = ARGV[4]
            local lease = tonumber(ARGV[5])
            local n = tonumber(ARGV[6])
            local now = now_ms()
            local lost = {}
            local i = 7
            for _ = 1, n do
              local q, eid, deliveries, id, ckey = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
              i = i + 5
              if owned_by(qkey(q), eid, consumer, deliveries) then
                redis.call('XCLAIM', qkey(q), G, consumer, 0, eid, 'JUSTID')
                if ckey ~= '' then redis.call('ZADD', P .. ':slots:' .. ckey, 'XX', now + lease, id) end
              else
                lost[#lost + 1] = eid
              end
            end
            return lost
            """#
    )

    /// ARGV: prefix, group, time, consumer, idleMs, count, then per job: queue, entryId, deliveries, jobId, concurrencyKey,
    /// limit.
    /// Hands unfinished entries back on shutdown: they look idle for `idleMs`, so the next reclaim takes them.
    /// → number handed back.
    static let handBack = RedisScript(
        library + #"""
            local consumer = ARGV[4]
            local idle = ARGV[5]
            local n = tonumber(ARGV[6])
            local now = now_ms()
            local count = 0
            local i = 7
            for _ = 1, n do
              local q, eid, deliveries, id, ckey, climit = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
              i = i + 6
              if owned_by(qkey(q), eid, consumer, deliveries) then
                redis.call('XCLAIM', qkey(q), G, consumer, 0, eid, 'IDLE', idle, 'JUSTID')
                release_slot(ckey, climit, id, now)
                count = count + 1
              end
            end
            return count
            """#
    )

    /// ARGV: prefix, group, time, consumer, leaseMs, count, then per job: queue, entryId, deliveries, jobId, concurrencyKey,
    /// concurrencyLimit, fieldCount, fields…. Takes a concurrency slot for each job, or parks the job (acked,
    /// envelope kept in its record) until a slot frees. → per job 1 (run it) or 0 (parked).
    static let acquire = RedisScript(
        library + #"""
            local consumer = ARGV[4]
            local lease = tonumber(ARGV[5])
            local n = tonumber(ARGV[6])
            local now = now_ms()
            local out = {}
            local i = 7
            for _ = 1, n do
              local q, eid, deliveries, id, ckey, climit = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4], tonumber(ARGV[i + 5])
              local nf = tonumber(ARGV[i + 6])
              local fields = {}
              for k = 1, nf do fields[k] = ARGV[i + 6 + k] end
              i = i + 7 + nf
              local slots = P .. ':slots:' .. ckey
              redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
              if redis.call('ZSCORE', slots, id) or redis.call('ZCARD', slots) < climit then
                redis.call('ZADD', slots, now + lease, id)
                out[#out + 1] = 1
              elseif owned_by(qkey(q), eid, consumer, deliveries) then
                redis.call('XACK', qkey(q), G, eid)
                unindex(q, id)
                redis.call('HSET', rkey(id), 'state', 'parked', 'queue', q, unpack(fields))
                redis.call('RPUSH', P .. ':parked:' .. ckey, id)
                redis.call('SADD', P .. ':parked', ckey)
                out[#out + 1] = 0
              else
                out[#out + 1] = 0
              end
            end
            return out
            """#
    )

    /// ARGV: prefix, group, time, queue, limit. Moves due delayed jobs into the stream.
    /// → `{moved, nextDueMs or -1}`.
    static let promote = RedisScript(
        library + #"""
            local q = ARGV[4]
            local limit = tonumber(ARGV[5])
            local now = now_ms()
            local dkey = qkey(q) .. ':delayed'
            local due = redis.call('ZRANGEBYSCORE', dkey, '-inf', now, 'LIMIT', 0, limit)
            local moved = 0
            for _, id in ipairs(due) do
              redis.call('ZREM', dkey, id)
              local debounce = redis.call('HGET', rkey(id), 'debounce')
              if requeue_from_record(q, id) then moved = moved + 1 end
              if debounce then
                local k = P .. ':debounce:' .. debounce
                if redis.call('GET', k) == id then redis.call('DEL', k) end
                redis.call('HDEL', rkey(id), 'debounce')
              end
            end
            local nxt = redis.call('ZRANGE', dkey, 0, 0, 'WITHSCORES')
            return {moved, nxt[2] and tonumber(nxt[2]) or -1}
            """#
    )

    /// ARGV: prefix, group, time. Frees expired concurrency slots and moves parked jobs whose key has room back to their
    /// queue; trims acknowledged entries off the front of every queue stream. → number of jobs unparked.
    static let maintain = RedisScript(
        library + #"""
            local now = now_ms()
            local moved = 0
            for _, ckey in ipairs(redis.call('SRANDMEMBER', P .. ':parked', 100)) do
              local first = redis.call('LINDEX', P .. ':parked:' .. ckey, 0)
              local climit = first and tonumber(redis.call('HGET', rkey(first), 'climit')) or 1
              local before = redis.call('LLEN', P .. ':parked:' .. ckey)
              unpark(ckey, climit or 1, now)
              moved = moved + before - redis.call('LLEN', P .. ':parked:' .. ckey)
            end
            for _, q in ipairs(redis.call('SMEMBERS', P .. ':queues')) do
              local stream = qkey(q)
              redis.call('ZREMRANGEBYSCORE', stream .. ':done', '-inf', now)
              if redis.call('EXISTS', stream) == 1 then
                local keep = last_delivered(stream)
                if keep and keep ~= '0-0' then
                  local pending = redis.call('XPENDING', stream, G)
                  if pending[1] > 0 and older(pending[2], keep) then keep = pending[2] end
                  redis.call('XTRIM', stream, 'MINID', keep)
                end
              end
            end
            return moved
            """#
    )
}

extension QueueScripts {
    /// ARGV: prefix, group, time, fenceKey, fenceValue, onceKey, onceTTLms, job unit → `{id, status, entryId}` where
    /// status is one of ``EnqueueResult/Status`` or `fenced` (the fence key does not hold fenceValue; nothing done) or
    /// `done-before` (the once key exists; id is the job enqueued then). The once key is set to the job's id (or the
    /// holder's, for a duplicate) in the same step as the enqueue, so a crash never separates them.
    static let enqueueOnce = RedisScript(
        library + #"""
            local fenceKey, fenceValue, onceKey, onceTTL = ARGV[4], ARGV[5], ARGV[6], tonumber(ARGV[7])
            if fenceKey ~= '' and redis.call('GET', fenceKey) ~= fenceValue then return {'', 'fenced', ''} end
            local before = redis.call('GET', onceKey)
            if before then return {before, 'done-before', ''} end
            local jobs, err = read_jobs(8, 1, 'enqueueOnce')
            if not jobs then return err end
            local r = enqueue_one(jobs[1], now_ms())
            redis.call('SET', onceKey, r[1], 'PX', onceTTL)
            return r
            """#
    )
}
