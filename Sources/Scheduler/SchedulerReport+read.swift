import FleetCore
import Queue

extension SchedulerReport {
    /// Reads what the leading scheduler published, each schedule's fire state, and its last job's state.
    /// - Parameter jobScanLimit: how many stream entries to search per job without a record (keeps this cheap).
    public static func read(queue: StreamQueue, jobScanLimit: Int = 2_000) async throws -> SchedulerReport {
        let keys = SchedulerKeys(queuePrefix: queue.configuration.prefix)
        let leader = try await LeaderLease.current(redis: queue.redis, keys: keys)
        let listed = try await queue.redis.send(RedisCommand("HGETALL", keys.list)).throwingError().pairs
        var summaries: [ScheduleSummary] = []
        for (_, json) in listed {
            if let summary = try? JSONCoding.decode(ScheduleSummary.self, from: json) { summaries.append(summary) }
        }
        summaries.sort { $0.id < $1.id }
        let states = try await ScheduleState.read(summaries.map(\.id), redis: queue.redis, keys: keys)
        var reports: [ScheduleReport] = []
        for (summary, state) in zip(summaries, states) {
            var jobState: String?
            if let job = state.lastJob, JobID.isValid(job) {
                jobState = try await queue.job(job, scanLimit: jobScanLimit)?.state
            }
            reports.append(ScheduleReport(schedule: summary, state: state, lastJobState: jobState))
        }
        let status = leader.map { LeaderLease.Status(value: $0.value, isOurs: false, remaining: $0.remaining) }
        return SchedulerReport(
            leader: status?.holder,
            fencingToken: status?.token,
            leaseRemainingMs: leader.map { $0.remaining.milliseconds },
            schedules: reports
        )
    }
}
