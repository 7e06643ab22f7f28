import FleetCore
import Foundation
import Logging
import Synchronization

extension QueueWorker {
    /// Renews leases of held entries, notices lost leases and cancellation requests, and publishes this worker's
    /// heartbeat record.
    func heartbeatLoop() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await heartbeat()
                failures = 0
            } catch {
                failures += 1
                metrics.redisError(operation: "heartbeat")
                if failures == 1 || failures % 10 == 0 {
                    logger.error("heartbeat failed; leases of running jobs may run out", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: configuration.heartbeatInterval)
        }
    }

    func heartbeat() async throws {
        let (held, runs) = state.withLock { state -> ([HeldJob], [String: HeldJob]) in
            var runs: [String: HeldJob] = [:]
            for job in state.jobs(in: .running) { runs[job.envelope.id] = job }
            return (state.held.values.map(\.job), runs)
        }
        let lost = try await queue.extend(held.map(\.entry), consumer: consumerName, lease: configuration.lease)
        if !lost.isEmpty { loseLeases(of: held.filter { lost.contains($0.entryId) }) }
        var commands: [RedisCommand] = []
        let ids = Array(runs.keys)
        if !ids.isEmpty { commands.append(RedisCommand(arguments: ["SMISMEMBER", queue.keys.cancelled] + ids)) }
        let now = queue.clock.nowMs()
        let (processed, failed) = state.withLock { ($0.processed, $0.failed) }
        let record = queue.keys.worker(consumerName)
        commands.append(
            RedisCommand(
                "HSET",
                record,
                "name",
                consumerName,
                "host",
                ProcessInfo.processInfo.hostName,
                "pid",
                String(ProcessInfo.processInfo.processIdentifier),
                "started",
                String(startedAtMs),
                "heartbeat",
                String(now),
                "queues",
                configuration.queues.joined(separator: ","),
                "concurrency",
                String(configuration.concurrency),
                "running",
                String(runs.count),
                "jobs",
                ids.joined(separator: ","),
                "processed",
                String(processed),
                "failed",
                String(failed)
            )
        )
        commands.append(RedisCommand("PEXPIRE", record, String(max(3 * configuration.heartbeatInterval.milliseconds, 3000))))
        commands.append(RedisCommand("ZADD", queue.keys.workers, String(now), consumerName))
        let replies = try await queue.redis.pipeline(commands)
        for reply in replies { try reply.throwingError() }
        if !ids.isEmpty, let flags = replies[0].array {
            for (id, flag) in zip(ids, flags) where flag.int == 1 { runs[id]?.cancel(.requested) }
        }
    }

    /// Cancels jobs whose delivery another worker took over (or whose entry is gone), unless they finished
    /// meanwhile: a job being acknowledged, or already acknowledged, had its entry acked by this worker, which is
    /// why the lease renewal found it gone; its acknowledgement, not this, says whether it counted.
    func loseLeases(of jobs: [HeldJob]) {
        let lost = state.withLock { state in
            jobs.filter { job in
                guard let held = state.held[ObjectIdentifier(job)], held.phase != .acking else { return false }
                return true
            }
        }
        for job in lost {
            job.cancel(.leaseLost)
            logger.info(
                "lost the lease of a held job to another worker; its outcome will not be recorded here",
                metadata: [
                    "job.id": "\(job.envelope.id)", "entry.id": "\(job.entryId)",
                ]
            )
        }
    }

    func deregister() async {
        _ = try? await queue.redis.pipeline([
            RedisCommand("DEL", queue.keys.worker(consumerName)),
            RedisCommand("HDEL", queue.keys.pausedSeen, consumerName),
            RedisCommand("ZREM", queue.keys.workers, consumerName),
        ])
    }

    /// Moves due delayed and retrying jobs into their streams, sleeping until the next is due (at most 1 s).
    func promoteLoop() async {
        var failures = 0
        while !Task.isCancelled {
            var sleepMs: Int64 = 1000
            do {
                for name in configuration.queues {
                    var result = try await queue.promoteDue(queue: name)
                    while result.moved >= 500 { result = try await queue.promoteDue(queue: name) }
                    if let next = result.nextDueMs { sleepMs = min(sleepMs, max(5, next - queue.clock.nowMs())) }
                }
                failures = 0
            } catch {
                failures += 1
                metrics.redisError(operation: "promote")
                if failures == 1 || failures % 20 == 0 {
                    logger.error("moving due delayed jobs failed; retrying", metadata: ["error": "\(error)"])
                }
            }
            try? await Task.sleep(for: .milliseconds(sleepMs))
        }
    }

    /// Trims streams, frees expired concurrency slots and unparks jobs, drops stale worker records and consumers.
    func maintenanceLoop() async {
        var rounds = 0
        while !Task.isCancelled {
            try? await Task.sleep(for: configuration.maintenanceInterval)
            if Task.isCancelled { return }
            await loadFunctions(replace: false)
            do {
                try await queue.maintain()
                if rounds % 12 == 0 { try await queue.pruneConsumers(olderThan: .seconds(600)) }
                rounds += 1
            } catch {
                metrics.redisError(operation: "maintain")
                logger.info("queue maintenance failed; will try again", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Loads the functions library for producers in other languages (docs/wire-format.md); this worker's own
    /// calls do not need it, so a failure (Redis before 7, no permission) is logged and the worker goes on.
    func loadFunctions(replace: Bool) async {
        do {
            if try await queue.loadFunctions(replace: replace), !replace {
                logger.info("loaded the queue's Redis functions again (Redis lost them: restarted without persistence?)")
            }
        } catch let error as RedisError where error.isTransient {
            return
        } catch {
            let first = state.withLock { state in
                defer { state.functionsWarned = true }
                return !state.functionsWarned
            }
            if first {
                logger.warning(
                    "could not load the queue's Redis functions; producers that use FCALL will fail (Redis 7 is needed)",
                    metadata: ["error": "\(error)"]
                )
            }
        }
    }

    /// Reacts to fleet events: `cancel <job id>`, `pause <queue> <version>`, `resume <queue> <version>`,
    /// `reclaim <queue>`. A pause is applied before it is confirmed, so once the pausing client has every
    /// confirmation no slot starts a job of the queue.
    func eventsLoop() async {
        let subscriber = RedisSubscriber(redis: queue.redis, channels: [queue.keys.events], logger: logger)
        // The subscriber resubscribes by itself once connected; it throws only when it cannot start (Redis down at
        // that moment): retry, so a worker never spends its life deaf to cancels and pauses.
        var failures = 0
        while !Task.isCancelled {
            do {
                try await subscriber.run { _, message in await self.handleEvent(message) }
                return
            } catch {
                failures += 1
                if failures == 1 || failures % 20 == 0 {
                    logger.warning("could not subscribe to fleet events; retrying", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: Backoff(base: .milliseconds(100), cap: .seconds(5)).delay(afterFailures: failures))
            }
        }
    }

    /// One fleet event (see ``eventsLoop()``).
    func handleEvent(_ message: String) async {

        let parts = message.split(separator: " ").map(String.init)
        guard parts.count >= 2 else { return }
        switch parts[0] {
        case "cancel":
            let job = self.state.withLock { state in state.jobs(in: .running).first { $0.envelope.id == parts[1] } }
            job?.cancel(.requested)
        case "pause", "resume":
            let wake = self.state.withLock { state in
                var paused = state.paused
                if parts[0] == "pause" { paused.insert(parts[1]) } else { paused.remove(parts[1]) }
                return state.setPaused(paused)
            }
            for slot in wake { slot.resume() }
            if parts.count == 3, let version = Int(parts[2]) {
                do {
                    try await self.confirmPaused(version)
                } catch {
                    self.logger.info("could not confirm a pause; the pausing client will report this worker", metadata: ["error": "\(error)"])
                }
            }
        case "reclaim":
            if self.configuration.queues.contains(parts[1]) { self.state.withLock { $0.reclaimRequested = true } }
        default:
            break
        }
    }
}
