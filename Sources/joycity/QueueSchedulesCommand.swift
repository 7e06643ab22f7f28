import ArgumentParser
import FleetCore
import Queue
import Scheduler

/// `joycity queue schedules`: every schedule with its next and last fire, last result, and the current leader.
struct QueueSchedules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "Schedules with next fire, last fire and result, and the scheduler leader."
    )
    @OptionGroup var options: QueueOptions

    func run() async throws {
        await withQueueEngine { queue in
            let report = try await SchedulerReport.read(queue: queue)
            if options.json { return try printJSON(report) }
            if let leader = report.leader {
                print(
                    "leader: \(leader) (fencing token \(report.fencingToken ?? 0), lease \(Format.duration(ms: report.leaseRemainingMs ?? 0)) left)"
                )
            } else {
                print("leader: none (no `joycity scheduler` is running)")
            }
            guard !report.schedules.isEmpty else {
                return print("no schedules published yet (the leader publishes them when it starts)")
            }
            var table = [["SCHEDULE", "WHEN", "JOB", "NEXT FIRE", "LAST FIRE", "LAST JOB", "RESULT", "MISFIRE"]]
            for entry in report.schedules {
                let s = entry.schedule
                let state = entry.state
                var result = state.lastOutcome ?? "-"
                if let jobState = entry.lastJobState { result += " → \(jobState)" }
                if let error = state.lastError { result += ": \(error.prefix(80))" }
                table.append([
                    s.id, s.spec, s.jobType, [state.nextFireMs, s.nextFireMs].compactMap { $0 }.max().map(Format.timestamp) ?? "never",
                    state.lastFireMs.map(Format.timestamp) ?? "-",
                    state.lastJob ?? "-", result, s.misfire + (state.dropped > 0 ? " (\(state.dropped) dropped)" : ""),
                ])
            }
            Format.printTable(table)
        }
    }
}
