import FleetCore
import Logging
import Queue
import ServiceLifecycle
import Synchronization

/// The scheduler (`joycity scheduler`): any number of replicas run it; one leads through a Redis lease
/// (``LeaderLease``) and enqueues each schedule's fires.
///
/// Every fire goes through ``StreamQueue/enqueueOnce(_:once:)`` fenced on the lease value and keyed by
/// (schedule id, fire time), so two processes that both believe they lead (one paused past its lease and resumed)
/// still enqueue each fire once. Fires missed while nobody led follow each schedule's ``MisfirePolicy``. A fire
/// that fails to enqueue is retried on the next pass (Redis errors) or recorded and passed over (a bad job); either
/// way later fires are not held up. Jobs of a fire get an id whose ULID time is the fire time.
public final class SchedulerService: Service, Sendable {
    let queue: StreamQueue
    let sources: [any ScheduleSource]
    let configuration: Configuration
    let clock: any WallClock
    let logger: Logger
    /// The scheduler's Redis keys.
    public let keys: SchedulerKeys
    let lease: LeaderLease
    private let loop = Mutex(LoopState())
    /// Sources whose last load has not finished yet (it hung past the timeout); not asked again until it does.
    private let loading = Mutex(Set<String>())

    struct LoopState {
        var leaseValue: String?
        var validUntil: ContinuousClock.Instant = .now
        var schedules: [Schedule] = []
        var refreshedAt: ContinuousClock.Instant?
    }

    /// Creates a scheduler over the given schedule sources.
    public init(
        queue: StreamQueue,
        sources: [any ScheduleSource],
        configuration: Configuration = Configuration(),
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.queue = queue
        self.sources = sources
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        self.keys = SchedulerKeys(queuePrefix: queue.configuration.prefix)
        self.lease = LeaderLease(redis: queue.redis, keys: keys, instance: configuration.instance, duration: configuration.lease)
    }

    /// Whether this process currently holds the lease (as of its last renewal).
    public var isLeader: Bool { loop.withLock { $0.leaseValue != nil && ContinuousClock.now < $0.validUntil } }

    public func run() async throws {
        logger.info("scheduler started", metadata: ["instance": "\(configuration.instance)", "lease": "\(configuration.lease)"])
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let pause = await step()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
        if let value = loop.withLock({ $0.leaseValue }) {
            do {
                try await lease.release(value)
                logger.info("released the scheduler lease", metadata: ["lease": "\(value)"])
            } catch {
                logger.warning("could not release the scheduler lease; another replica takes over when it expires", metadata: ["error": "\(error)"])
            }
        }
    }

    /// One round: renew or take the lease; as leader, reload schedules when due and fire what is due.
    /// - Returns: how long to wait before the next round.
    func step() async -> Duration {
        let started = ContinuousClock.now
        let current = loop.withLock { $0.leaseValue }
        let status: LeaderLease.Status
        do {
            status = try await lease.acquireOrRenew(current: current)
        } catch {
            logger.error("could not reach Redis for the scheduler lease; not firing until it answers", metadata: ["error": "\(error)"])
            return .seconds(1)
        }
        guard status.isOurs else {
            if current != nil {
                logger.warning("lost scheduler leadership", metadata: ["leader": "\(status.value)"])
            }
            loop.withLock { $0.leaseValue = nil }
            return min(status.remaining + .milliseconds(25), configuration.renewInterval)
        }
        // Trust the lease for 90 % of its time from before the renewal was sent.
        let validUntil = started + configuration.lease * 0.9
        let becameLeader = loop.withLock { state -> Bool in
            let new = state.leaseValue != status.value
            state.leaseValue = status.value
            state.validUntil = validUntil
            if new { state.refreshedAt = nil }
            return new
        }
        if becameLeader {
            logger.notice("leading the scheduler", metadata: ["lease": "\(status.value)"])
        }
        await refreshIfDue()
        let nextFire = await tick(nowMs: clock.nowMs())
        let untilRenewal = configuration.renewInterval - (ContinuousClock.now - started)
        var pause = untilRenewal
        if let nextFire {
            pause = min(pause, .milliseconds(max(nextFire - clock.nowMs(), 0)))
        }
        return max(pause, .milliseconds(5))
    }

    func refreshIfDue() async {
        let due = loop.withLock { state in state.refreshedAt.map { ContinuousClock.now - $0 >= configuration.refreshInterval } ?? true }
        guard due else { return }
        var schedules: [Schedule] = []
        var failed = false
        for source in sources {
            do {
                schedules += try await load(source, timeout: configuration.sourceTimeout)
            } catch {
                failed = true
                logger.error(
                    "could not load schedules; keeping the previous ones of this source",
                    metadata: ["source": "\(source.name)", "error": "\(error)"]
                )
                schedules += loop.withLock { $0.schedules.filter { $0.origin.hasPrefix(source.name) } }
            }
        }
        var seen = Set<String>()
        schedules = schedules.filter { schedule in
            guard Schedule.isValidID(schedule.id) else {
                logger.error("skipping a schedule with an unusable id", metadata: ["id": "\(schedule.id)"])
                return false
            }
            guard seen.insert(schedule.id).inserted else {
                logger.error("skipping a second schedule with the same id", metadata: ["id": "\(schedule.id)"])
                return false
            }
            return true
        }
        loop.withLock { state in
            state.schedules = schedules
            state.refreshedAt = failed ? ContinuousClock.now - configuration.refreshInterval + .seconds(2) : ContinuousClock.now
        }
        await publish(schedules)
    }

    /// The source's schedules, or an error once `timeout` passes. A source that hangs (a database query waiting
    /// for a connection that never comes) is left to finish in the background instead of stalling the leader, and
    /// is not asked again until it has.
    func load(_ source: any ScheduleSource, timeout: Duration) async throws -> [Schedule] {
        let name = source.name
        guard loading.withLock({ $0.insert(name).inserted }) else {
            throw SourceTimeout(source: name, timeout: timeout)
        }
        let once = ResumeOnce()
        return try await withCheckedThrowingContinuation { continuation in
            let work = Task { [self] in
                defer { self.loading.withLock { _ = $0.remove(name) } }
                do {
                    let schedules = try await source.schedules()
                    if once.claim() { continuation.resume(returning: schedules) }
                } catch {
                    if once.claim() { continuation.resume(throwing: error) }
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                if once.claim() {
                    work.cancel()
                    continuation.resume(throwing: SourceTimeout(source: name, timeout: timeout))
                }
            }
        }
    }

    func publish(_ schedules: [Schedule]) async {
        guard let value = loop.withLock({ $0.leaseValue }) else { return }
        let now = clock.nowMs()
        var arguments = [keys.leader, value, keys.list]
        for schedule in schedules {
            let summary = ScheduleSummary(
                id: schedule.id,
                spec: schedule.spec.description,
                jobType: schedule.job.type,
                queue: schedule.job.queue ?? queue.configuration.defaultQueue,
                uniqueKey: schedule.job.options.uniqueKey,
                misfire: schedule.misfire.description,
                origin: schedule.origin,
                nextFireMs: schedule.spec.nextFire(afterMs: now)
            )
            guard let json = try? JSONCoding.encode(summary) else { continue }
            arguments += [schedule.id, json]
        }
        do {
            _ = try await queue.redis.evaluate(SchedulerScripts.publish, keys: [], arguments: arguments).throwingError()
        } catch {
            logger.warning("could not publish the schedule list", metadata: ["error": "\(error)"])
        }
    }

    /// One scheduling pass at wall time `nowMs`: fires every due schedule (as leader only).
    /// - Returns: the earliest next fire time among the schedules, if any.
    @discardableResult
    public func tick(nowMs: Int64) async -> Int64? {
        let (value, schedules) = loop.withLock { ($0.leaseValue, $0.schedules) }
        guard let value, !schedules.isEmpty else { return nil }
        let states: [ScheduleState]
        do {
            states = try await ScheduleState.read(schedules.map(\.id), redis: queue.redis, keys: keys)
        } catch {
            logger.error("could not read schedule state", metadata: ["error": "\(error)"])
            return nowMs + 1000
        }
        var earliest: Int64?
        for (schedule, state) in zip(schedules, states) {
            let watermark = state.watermark ?? (schedule.firesWhenNew ? nowMs - schedule.spec.typicalPeriodMs(nowMs: nowMs) : nowMs)
            let plan = FirePlan.plan(schedule.spec, policy: schedule.misfire, watermark: watermark, nowMs: nowMs)
            if plan.dropped > 0 {
                logger.info(
                    "coalesced missed fires",
                    metadata: ["schedule": "\(schedule.id)", "dropped": "\(plan.dropped)", "policy": "\(schedule.misfire)"]
                )
            }
            var next = plan.next
            if plan.fires.isEmpty {
                if state.watermark == nil { await record(schedule.id, value: value, watermark: watermark, fields: ["dropped", "0"]) }
            } else {
                switch await fire(schedule, plan: plan, state: state, value: value) {
                case .done: break
                case .retryLater: next = min(next ?? .max, nowMs + 1000)
                case .fenced: return nil
                }
            }
            if let next { earliest = min(earliest ?? .max, next) }
        }
        return earliest
    }

    enum FireOutcome { case done, retryLater, fenced }

    func fire(_ schedule: Schedule, plan: FirePlan, state: ScheduleState, value: String) async -> FireOutcome {
        let dropped = state.dropped + Int64(plan.dropped)
        var first = true
        // Once keys outlive any race between two leaders: at least an hour and two periods (capped at 8 days).
        let periodMs = schedule.spec.typicalPeriodMs(nowMs: plan.fires[0])
        let ttl = max(configuration.firedKeyTTL, .milliseconds(min(periodMs, 4 * 86_400_000) * 2))
        for fireMs in plan.fires {
            guard loop.withLock({ ContinuousClock.now < $0.validUntil && $0.leaseValue == value }) else { return .fenced }
            var job = schedule.job
            job.id = JobID.make(nowMs: fireMs)
            let once = EnqueueOnceGuard(key: keys.fired(schedule.id, atMs: fireMs), ttl: ttl, fenceKey: keys.leader, fenceValue: value)
            var fields = [
                "lastFire", String(fireMs), "lastFiredAt", String(clock.nowMs()), "lastError", "", "next", plan.next.map(String.init) ?? "",
            ]
            if first { fields += ["dropped", String(dropped)] }
            first = false
            do {
                switch try await queue.enqueueOnce(job, once: once) {
                case .fenced:
                    logger.warning("a fire was fenced off: another scheduler holds the lease now", metadata: ["schedule": "\(schedule.id)"])
                    loop.withLock { if $0.leaseValue == value { $0.leaseValue = nil } }
                    return .fenced
                case .enqueued(let result):
                    fields += ["lastJob", result.id, "lastOutcome", result.status.rawValue]
                    logger.info(
                        "fired",
                        metadata: ["schedule": "\(schedule.id)", "fire": "\(fireMs)", "job": "\(result.id)", "outcome": "\(result.status.rawValue)"]
                    )
                case .doneBefore(let id):
                    fields += ["lastJob", id, "lastOutcome", "done-before"]
                }
                await record(schedule.id, value: value, watermark: fireMs, fields: fields)
            } catch let error as QueueError {
                // The job itself is unusable: record it and move on, so later fires are not held up.
                logger.error("a schedule's job was refused; skipping this fire", metadata: ["schedule": "\(schedule.id)", "error": "\(error)"])
                await record(
                    schedule.id,
                    value: value,
                    watermark: fireMs,
                    fields: ["lastOutcome", "error", "lastError", error.description, "lastFire", String(fireMs)]
                )
            } catch {
                logger.error(
                    "could not enqueue a fire; retrying on the next pass",
                    metadata: ["schedule": "\(schedule.id)", "fire": "\(fireMs)", "error": "\(error)"]
                )
                await record(
                    schedule.id,
                    value: value,
                    watermark: state.watermark ?? fireMs - 1,
                    fields: ["lastOutcome", "error", "lastError", "\(error)"]
                )
                return .retryLater
            }
        }
        return .done
    }

    func record(_ id: String, value: String, watermark: Int64, fields: [String]) async {
        do {
            _ = try await queue.redis.evaluate(
                SchedulerScripts.record,
                keys: [],
                arguments: [keys.leader, value, keys.state(id), String(watermark)] + fields
            ).throwingError()
        } catch {
            logger.warning("could not record a schedule's state", metadata: ["schedule": "\(id)", "error": "\(error)"])
        }
    }
}

/// A schedule source that did not answer in time.
struct SourceTimeout: Error, CustomStringConvertible {
    let source: String
    let timeout: Duration
    var description: String { "schedule source \(source) did not answer within \(timeout); is its database reachable?" }
}

/// Lets exactly one of several racers resume a continuation.
final class ResumeOnce: Sendable {
    private let claimed = Mutex(false)

    /// True for the first caller only.
    func claim() -> Bool {
        claimed.withLock { claimed in
            defer { claimed = true }
            return !claimed
        }
    }
}
