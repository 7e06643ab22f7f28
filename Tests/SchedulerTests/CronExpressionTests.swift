import Foundation
import Scheduler
import Testing

/// Cron parsing and fire times, including daylight-saving changes (pure: no Redis).
@Suite("Cron expressions")
struct CronExpressionTests {
    static let utc = TimeZone(identifier: "UTC")!
    static let berlin = TimeZone(identifier: "Europe/Berlin")!
    static let moscow = TimeZone(identifier: "Europe/Moscow")!
    static let newYork = TimeZone(identifier: "America/New_York")!

    /// Unix seconds of an ISO 8601 UTC time.
    static func at(_ text: String) -> Int64 {
        Int64(ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970)
    }

    static func iso(_ seconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = utc
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    /// The next `count` fires after `start`.
    static func fires(_ expression: String, after start: String, in zone: TimeZone, count: Int) throws -> [String] {
        let cron = try CronExpression(expression)
        var result: [String] = []
        var cursor = at(start)
        for _ in 0..<count {
            guard let next = cron.nextFire(after: cursor, in: zone) else { break }
            result.append(iso(next))
            cursor = next
        }
        return result
    }

    @Test("fields, ranges, steps, lists, names and macros")
    func syntax() throws {
        #expect(
            try Self.fires("*/20 9-10 * * *", after: "2026-01-05T08:59:00Z", in: Self.utc, count: 7) == [
                "2026-01-05T09:00:00Z", "2026-01-05T09:20:00Z", "2026-01-05T09:40:00Z", "2026-01-05T10:00:00Z", "2026-01-05T10:20:00Z",
                "2026-01-05T10:40:00Z", "2026-01-06T09:00:00Z",
            ]
        )
        #expect(
            try Self.fires("0 12 * JAN,mar MON-WED", after: "2026-01-30T00:00:00Z", in: Self.utc, count: 2) == [
                "2026-03-02T12:00:00Z", "2026-03-03T12:00:00Z",
            ]
        )
        #expect(
            try Self.fires("@monthly", after: "2026-01-15T00:00:00Z", in: Self.utc, count: 2) == ["2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"]
        )
        #expect(try Self.fires("0 0 * * 7", after: "2026-01-01T00:00:00Z", in: Self.utc, count: 1) == ["2026-01-04T00:00:00Z"])  // 7 = Sunday
        // Seconds field (six fields).
        #expect(
            try Self.fires("*/15 * * * * *", after: "2026-01-01T00:00:05Z", in: Self.utc, count: 3) == [
                "2026-01-01T00:00:15Z", "2026-01-01T00:00:30Z", "2026-01-01T00:00:45Z",
            ]
        )
        // Day-of-month and day-of-week both restricted: either matches (Vixie cron).
        #expect(
            try Self.fires("0 0 13 * FRI", after: "2026-02-01T00:00:00Z", in: Self.utc, count: 3) == [
                "2026-02-06T00:00:00Z", "2026-02-13T00:00:00Z", "2026-02-20T00:00:00Z",
            ]
        )
        // 29 February: the next one is in 2028.
        #expect(try Self.fires("0 0 29 2 *", after: "2026-03-01T00:00:00Z", in: Self.utc, count: 1) == ["2028-02-29T00:00:00Z"])
    }

    @Test(
        "bad expressions name the field and the problem",
        arguments: [
            ("* * * *", "expected 5 fields"),
            ("60 * * * *", "minute field \"60\": 60 is outside 0-59"),
            ("* 24 * * *", "hour field"),
            ("* * 0 * *", "day-of-month field"),
            ("* * * 13 *", "month field"),
            ("* * * * FUNDAY", "day-of-week field"),
            ("*/0 * * * *", "step"),
            ("5-1 * * * *", "runs backwards"),
            ("0 0 30 2 *", "no month"),
            ("@often", "unknown macro"),
            ("1,,2 * * * *", "empty list item"),
        ]
    )
    func errors(expression: String, expected: String) {
        #expect {
            _ = try CronExpression(expression)
        } throws: { error in
            "\(error)".contains(expected) && "\(error)".contains(expression)
        }
    }

    @Test("Europe/Moscow (the default zone, UTC+3 all year)")
    func moscow() throws {
        #expect(
            try Self.fires("0 3 * * *", after: "2026-06-01T00:00:00Z", in: Self.moscow, count: 2) == ["2026-06-02T00:00:00Z", "2026-06-03T00:00:00Z"]
        )
        #expect(try Self.fires("0 3 * * *", after: "2026-12-01T00:00:00Z", in: Self.moscow, count: 1) == ["2026-12-02T00:00:00Z"])
    }

    @Test("spring forward: a fixed-time fire in the skipped hour runs at the jump; hourly schedules skip the missing times")
    func springForward() throws {
        // Berlin, 2026-03-29: 02:00 CET → 03:00 CEST at 01:00Z.
        #expect(
            try Self.fires("30 2 * * *", after: "2026-03-28T12:00:00Z", in: Self.berlin, count: 3) == [
                "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z", "2026-03-31T00:30:00Z",
            ]
        )
        #expect(
            try Self.fires("*/30 * * * *", after: "2026-03-29T00:00:00Z", in: Self.berlin, count: 4) == [
                "2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:00:00Z",
            ]
        )
        // Several fixed times inside the gap coalesce into one fire at the jump.
        #expect(
            try Self.fires("0,20,40 2 * * *", after: "2026-03-28T23:00:00Z", in: Self.berlin, count: 2) == [
                "2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z",
            ]
        )
        // New York, 2026-03-08: 02:00 EST → 03:00 EDT at 07:00Z.
        #expect(
            try Self.fires("30 2 * * *", after: "2026-03-07T12:00:00Z", in: Self.newYork, count: 2) == [
                "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z",
            ]
        )
    }

    @Test("fall back: a fixed-time fire in the repeated hour runs once; hourly schedules follow real time")
    func fallBack() throws {
        // Berlin, 2026-10-25: 03:00 CEST → 02:00 CET at 01:00Z; 02:00–03:00 local happens twice.
        #expect(
            try Self.fires("30 2 * * *", after: "2026-10-24T12:00:00Z", in: Self.berlin, count: 2) == [
                "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ]
        )
        #expect(
            try Self.fires("*/30 * * * *", after: "2026-10-24T23:45:00Z", in: Self.berlin, count: 5) == [
                "2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z",
            ]
        )
        // Starting inside the second pass: the fixed-time fire already happened in the first pass.
        #expect(try Self.fires("30 2 * * *", after: "2026-10-25T01:10:00Z", in: Self.berlin, count: 1) == ["2026-10-26T01:30:00Z"])
        // Starting inside the first pass, before 02:30 CEST: it fires at 02:30 CEST only.
        #expect(
            try Self.fires("30 2 * * *", after: "2026-10-25T00:10:00Z", in: Self.berlin, count: 2) == [
                "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z",
            ]
        )
    }

    @Test("specs: intervals, time zone suffix, errors")
    func specs() throws {
        let moscow = Self.moscow
        let interval = try ScheduleSpec(parsing: "every 15m", defaultZone: moscow)
        #expect(interval == .interval(period: .seconds(900), phase: .zero))
        #expect(interval.nextFire(afterMs: 1_000) == 900_000)
        #expect(interval.nextFire(afterMs: 900_000) == 1_800_000)
        let phased = ScheduleSpec.interval(period: .seconds(60), phase: .seconds(7))
        #expect(phased.nextFire(afterMs: 0) == 7_000)
        #expect(phased.nextFire(afterMs: 7_000) == 67_000)
        let zoned = try ScheduleSpec(parsing: "0 9 * * * TZ=Europe/Berlin", defaultZone: moscow)
        #expect(zoned.nextFire(afterMs: Self.at("2026-07-01T00:00:00Z") * 1000) == Self.at("2026-07-01T07:00:00Z") * 1000)
        #expect(throws: ScheduleSpecError.self) { try ScheduleSpec(parsing: "every soon", defaultZone: moscow) }
        #expect(throws: ScheduleSpecError.self) { try ScheduleSpec(parsing: "0 9 * * * TZ=Mars/Olympus", defaultZone: moscow) }
        #expect(throws: ScheduleSpecError.self) { try ScheduleSpec(parsing: "every 500ms", defaultZone: moscow) }
    }
}
