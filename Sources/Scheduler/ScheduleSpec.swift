import FleetCore
import Foundation

/// When a schedule fires: a cron expression in a time zone, or a fixed interval.
///
/// Written forms (``init(parsing:defaultZone:)``): a cron expression (`30 3 * * *`, `*/10 * * * * *`, `@daily`),
/// optionally followed by ` TZ=Area/City` (`0 9 * * 1-5 TZ=Europe/Berlin`), or `every 15m` / `@every 90s` for an
/// interval.
public enum ScheduleSpec: Sendable, Equatable, CustomStringConvertible {
    /// A cron expression evaluated in a time zone.
    case cron(CronExpression, TimeZone)
    /// Every `period`, at instants `phase + k × period` (Unix time), so every scheduler replica computes the same
    /// fire times; `phase` spreads many schedules with the same period over it.
    case interval(period: Duration, phase: Duration)

    /// Parses a written spec.
    /// - Throws: ``ScheduleSpecError`` that names the problem.
    public init(parsing text: String, defaultZone: TimeZone) throws(ScheduleSpecError) {
        var body = text.trimmingSpaces()
        let lowered = body.lowercased()
        for prefix in ["every ", "@every "] where lowered.hasPrefix(prefix) {
            let amount = String(body.dropFirst(prefix.count))
            guard let period = DurationParser.parse(amount, defaultUnit: .seconds), period >= .seconds(1) else {
                throw ScheduleSpecError(text, "\"\(amount)\" is not a period of 1s or more (e.g. 30s, 15m, 2h)")
            }
            self = .interval(period: period, phase: .zero)
            return
        }
        var zone = defaultZone
        if let range = body.range(of: " TZ=", options: .caseInsensitive) ?? body.range(of: " CRON_TZ=", options: .caseInsensitive) {
            let name = String(body[range.upperBound...]).trimmingSpaces()
            guard let named = TimeZone(identifier: name) else {
                throw ScheduleSpecError(text, "unknown time zone \"\(name)\" (use an IANA name such as Europe/Moscow)")
            }
            zone = named
            body = String(body[..<range.lowerBound])
        }
        do {
            self = .cron(try CronExpression(body), zone)
        } catch {
            throw ScheduleSpecError(text, error.reason)
        }
    }

    /// The first fire time strictly after `afterMs` (Unix milliseconds), or `nil` if there is none.
    public func nextFire(afterMs: Int64) -> Int64? {
        switch self {
        case .cron(let expression, let zone):
            let seconds = CivilDate.floorDiv(afterMs, 1000)
            return expression.nextFire(after: seconds, in: zone).map { $0 * 1000 }
        case .interval(let period, let phase):
            let p = max(period.milliseconds, 1)
            let k = CivilDate.floorDiv(afterMs - phase.milliseconds, p) + 1
            return phase.milliseconds + k * p
        }
    }

    /// The shortest gap between two fires (for cron, an estimate from the next two fires after now).
    func typicalPeriodMs(nowMs: Int64) -> Int64 {
        switch self {
        case .interval(let period, _): return period.milliseconds
        case .cron:
            guard let first = nextFire(afterMs: nowMs), let second = nextFire(afterMs: first) else { return 86_400_000 }
            return second - first
        }
    }

    public var description: String {
        switch self {
        case .cron(let expression, let zone): return "\(expression.source) (\(zone.identifier))"
        case .interval(let period, _): return "every \(Self.format(period))"
        }
    }

    static func format(_ duration: Duration) -> String {
        let ms = duration.milliseconds
        if ms % 86_400_000 == 0 { return "\(ms / 86_400_000)d" }
        if ms % 3_600_000 == 0 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }
}

/// A schedule spec that cannot be parsed.
public struct ScheduleSpecError: Error, CustomStringConvertible, Equatable {
    /// The spec as given.
    public let spec: String
    /// What is wrong.
    public let reason: String

    init(_ spec: String, _ reason: String) {
        self.spec = spec
        self.reason = reason
    }

    public var description: String { "schedule \"\(spec)\": \(reason)" }
}
