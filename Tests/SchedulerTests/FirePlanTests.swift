import FleetCore
import Foundation
import Queue
import Scheduler
import Testing

/// Misfire handling with an injected clock (pure: no Redis).
@Suite("Fire plans")
struct FirePlanTests {
    static let minutely = ScheduleSpec.interval(period: .seconds(60), phase: .zero)
    static let t0: Int64 = 1_790_000_040_000  // a whole minute

    @Test("nothing is due for a schedule first seen now; one fire per period after that")
    func steady() {
        #expect(FirePlan.plan(Self.minutely, policy: .coalesce, watermark: Self.t0 + 5_000, nowMs: Self.t0 + 5_000).fires.isEmpty)
        let plan = FirePlan.plan(Self.minutely, policy: .coalesce, watermark: Self.t0, nowMs: Self.t0 + 60_000)
        #expect(plan.fires == [Self.t0 + 60_000])
        #expect(plan.dropped == 0)
        #expect(plan.next == Self.t0 + 120_000)
    }

    @Test("after downtime, coalesce runs once (the latest missed fire) and counts the rest")
    func coalesce() {
        let plan = FirePlan.plan(Self.minutely, policy: .coalesce, watermark: Self.t0, nowMs: Self.t0 + 10 * 60_000 + 5_000)
        #expect(plan.fires == [Self.t0 + 600_000])
        #expect(plan.dropped == 9)
        #expect(plan.watermark == Self.t0 + 600_000)
        #expect(plan.next == Self.t0 + 660_000)
    }

    @Test("after downtime, catch-up runs the most recent missed fires up to its limit, oldest first")
    func catchUp() {
        let all = FirePlan.plan(Self.minutely, policy: .catchUp(limit: 100), watermark: Self.t0, nowMs: Self.t0 + 10 * 60_000)
        #expect(all.fires == (1...10).map { Self.t0 + Int64($0) * 60_000 })
        #expect(all.dropped == 0)
        let limited = FirePlan.plan(Self.minutely, policy: .catchUp(limit: 3), watermark: Self.t0, nowMs: Self.t0 + 10 * 60_000)
        #expect(limited.fires == [Self.t0 + 480_000, Self.t0 + 540_000, Self.t0 + 600_000])
        #expect(limited.dropped == 7)
    }

    @Test("a month of downtime of an every-second schedule is planned without walking every second")
    func longDowntime() throws {
        let spec = try ScheduleSpec(parsing: "* * * * * *", defaultZone: TimeZone(identifier: "UTC")!)
        let now = Self.t0 + 30 * 86_400_000
        let started = ContinuousClock.now
        let plan = FirePlan.plan(spec, policy: .coalesce, watermark: Self.t0, nowMs: now)
        #expect(plan.fires == [now])
        #expect(plan.dropped > 2_000_000)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test("a nightly cron across a DST change with a stopped scheduler coalesces to the last night")
    func cronDowntime() throws {
        let spec = try ScheduleSpec(parsing: "30 2 * * * TZ=Europe/Berlin", defaultZone: TimeZone(identifier: "Europe/Moscow")!)
        let before = CronExpressionTests.at("2026-03-27T12:00:00Z") * 1000
        let after = CronExpressionTests.at("2026-03-31T12:00:00Z") * 1000
        let plan = FirePlan.plan(spec, policy: .coalesce, watermark: before, nowMs: after)
        #expect(plan.fires == [CronExpressionTests.at("2026-03-31T00:30:00Z") * 1000])
        #expect(plan.dropped == 3)  // 28th 01:30Z, the 29th at the jump (01:00Z), 30th 00:30Z
        let caught = FirePlan.plan(spec, policy: .catchUp(limit: 10), watermark: before, nowMs: after)
        #expect(
            caught.fires.map { $0 / 1000 }
                == [
                    "2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z",
                ].map(CronExpressionTests.at)
        )
    }

    @Test(
        "misfire policies parse",
        arguments: [("coalesce", MisfirePolicy.coalesce), ("catch-up", .catchUp(limit: 100)), ("catch-up:7", .catchUp(limit: 7))]
    )
    func policies(text: String, policy: MisfirePolicy) {
        #expect(MisfirePolicy(parsing: text) == policy)
    }

    @Test("bad misfire policies are refused", arguments: ["", "catchup", "catch-up:0", "catch-up:x", "later"])
    func badPolicies(text: String) {
        #expect(MisfirePolicy(parsing: text) == nil)
    }

    @Test("environment overrides: replace, switch off, extra schedules; bad values name the variable")
    func overrides() throws {
        let schedule = Schedule(
            id: "backup.nightly",
            spec: .interval(period: .seconds(60), phase: .zero),
            job: JobRequest(type: "backup.run", payload: "{}")
        )
        #expect(ScheduleOverrides.variable(for: "backup.nightly") == "SCHEDULE_BACKUP_NIGHTLY")
        #expect(ScheduleOverrides.variable(for: "wb.sync:12:orders") == "SCHEDULE_WB_SYNC_12_ORDERS")
        let replaced = try ScheduleOverrides(
            environment: EnvironmentReader(values: [
                "SCHEDULE_BACKUP_NIGHTLY": "15 1 * * *", "SCHEDULE_BACKUP_NIGHTLY_MISFIRE": "catch-up:2", "SCHEDULER_TIMEZONE": "Europe/Berlin",
            ])
        ).apply(schedule)
        #expect(replaced?.spec == .cron(try CronExpression("15 1 * * *"), TimeZone(identifier: "Europe/Berlin")!))
        #expect(replaced?.misfire == .catchUp(limit: 2))
        #expect(try ScheduleOverrides(environment: EnvironmentReader(values: ["SCHEDULE_BACKUP_NIGHTLY": "off"])).apply(schedule) == nil)
        let extra = try ScheduleOverrides(
            environment: EnvironmentReader(values: [
                "SCHEDULER_EXTRA_SCHEDULES":
                    #"[{"id":"ping","spec":"every 10s","type":"queue.diagnostic","payload":{"set":"s","sleepMs":1},"queue":"ops","uniqueKey":"ping","misfire":"catch-up:5"}]"#
            ])
        ).extra
        #expect(extra.count == 1)
        #expect(extra.first?.job.queue == "ops")
        #expect(extra.first?.job.options.uniqueKey == "ping")
        #expect(extra.first?.misfire == .catchUp(limit: 5))
        #expect(
            extra.first.map { try? JSONCoding.decode(DiagnosticJob.Payload.self, from: $0.job.payload) }
                == DiagnosticJob.Payload(set: "s", sleepMs: 1)
        )
        for (name, value) in [
            ("SCHEDULE_BACKUP_NIGHTLY", "61 * * * *"), ("SCHEDULE_X_MISFIRE", "sometimes"), ("SCHEDULER_TIMEZONE", "Moon/Base"),
            ("SCHEDULER_EXTRA_SCHEDULES", "{}"), ("SCHEDULER_EXTRA_SCHEDULES", #"[{"id":"a b","spec":"every 1m","type":"t"}]"#),
        ] {
            #expect {
                _ = try ScheduleOverrides(environment: EnvironmentReader(values: [name: value]))
            } throws: { error in
                (error as? ConfigurationError)?.variable == name
            }
        }
    }
}
