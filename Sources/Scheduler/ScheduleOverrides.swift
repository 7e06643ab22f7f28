import FleetCore
import Foundation
import Queue

/// Schedule settings from the environment, read and checked once at start-up:
///
/// - `SCHEDULER_TIMEZONE`: the zone of cron schedules without their own `TZ=` (default `Europe/Moscow`).
/// - `SCHEDULE_<ID>`: replaces when schedule `<ID>` fires (`30 2 * * *`, `every 10m`, `… TZ=Europe/Berlin`), or
///   `off` to disable it. `<ID>` is the schedule id upper-cased with every character other than A–Z and 0–9 turned
///   into `_` (`backup.nightly` → `SCHEDULE_BACKUP_NIGHTLY`).
/// - `SCHEDULE_<ID>_MISFIRE`: `coalesce` or `catch-up[:N]`.
/// - `SCHEDULER_EXTRA_SCHEDULES`: a JSON array of extra schedules:
///   `[{"id":"report.hourly","spec":"0 * * * *","type":"queue.diagnostic","payload":{"set":"s"},"queue":"default",
///   "uniqueKey":"report.hourly","misfire":"catch-up:5"}]`.
public struct ScheduleOverrides: Sendable {
    /// The zone for cron schedules.
    public let zone: TimeZone
    let specs: [String: ScheduleSpec?]
    let misfires: [String: MisfirePolicy]
    /// The schedules `SCHEDULER_EXTRA_SCHEDULES` declares.
    public let extra: [Schedule]

    /// Reads the settings.
    /// - Throws: ``ConfigurationError`` naming the variable for any value that cannot be used.
    public init(environment: EnvironmentReader) throws {
        let zoneName = environment.string("SCHEDULER_TIMEZONE", default: "Europe/Moscow")
        guard let zone = TimeZone(identifier: zoneName) else {
            throw ConfigurationError(variable: "SCHEDULER_TIMEZONE", value: zoneName, expected: "an IANA time zone name such as Europe/Moscow")
        }
        self.zone = zone
        var specs: [String: ScheduleSpec?] = [:]
        var misfires: [String: MisfirePolicy] = [:]
        for name in environment.values.keys where name.hasPrefix("SCHEDULE_") && !name.hasSuffix("_FILE") {
            guard let text = environment.string(name) else { continue }
            if name.hasSuffix("_MISFIRE") {
                guard let policy = MisfirePolicy(parsing: text) else {
                    throw ConfigurationError(variable: name, value: text, expected: "coalesce or catch-up[:N]")
                }
                misfires[String(name.dropLast("_MISFIRE".count))] = policy
            } else if text.lowercased() == "off" {
                specs[name] = .some(nil)
            } else {
                do {
                    specs[name] = try ScheduleSpec(parsing: text, defaultZone: zone)
                } catch {
                    throw ConfigurationError(variable: name, value: text, expected: "a cron expression or `every <duration>` (\(error.reason))")
                }
            }
        }
        self.specs = specs
        self.misfires = misfires
        self.extra = try Self.extraSchedules(environment: environment, zone: zone)
    }

    /// The variable that overrides schedule `id`.
    public static func variable(for id: String) -> String {
        "SCHEDULE_"
            + String(
                id.uppercased().unicodeScalars.map { scalar in
                    (scalar.value >= 0x41 && scalar.value <= 0x5A) || (scalar.value >= 0x30 && scalar.value <= 0x39) ? Character(scalar) : "_"
                }
            )
    }

    /// `schedule` with its overrides applied, or `nil` when it is switched off.
    public func apply(_ schedule: Schedule) -> Schedule? {
        var schedule = schedule
        let variable = Self.variable(for: schedule.id)
        if let override = specs[variable] {
            guard let spec = override else { return nil }
            schedule.spec = spec
            schedule.origin += " + \(variable)"
        }
        if let policy = misfires[variable] { schedule.misfire = policy }
        return schedule
    }

    struct ExtraSchedule: Decodable {
        var id: String
        var spec: String
        var type: String
        var payload: JSONValue?
        var queue: String?
        var uniqueKey: String?
        var misfire: String?
    }

    static func extraSchedules(environment: EnvironmentReader, zone: TimeZone) throws -> [Schedule] {
        let variable = "SCHEDULER_EXTRA_SCHEDULES"
        guard let text = environment.string(variable) else { return [] }
        func bad(_ why: String) -> ConfigurationError {
            ConfigurationError(
                variable: variable,
                value: text,
                expected: "a JSON array of {id, spec, type, payload?, queue?, uniqueKey?, misfire?} (\(why))"
            )
        }
        let entries: [ExtraSchedule]
        do {
            entries = try JSONCoding.decode([ExtraSchedule].self, from: text)
        } catch {
            throw bad("not such an array: \(error)")
        }
        return try entries.map { entry in
            guard Schedule.isValidID(entry.id) else { throw bad("id \"\(entry.id)\" must be letters, digits and .-_:") }
            let spec: ScheduleSpec
            do { spec = try ScheduleSpec(parsing: entry.spec, defaultZone: zone) } catch { throw bad("\(error)") }
            var policy = MisfirePolicy.coalesce
            if let misfire = entry.misfire {
                guard let parsed = MisfirePolicy(parsing: misfire) else { throw bad("misfire \"\(misfire)\" is not coalesce or catch-up[:N]") }
                policy = parsed
            }
            let payload = try entry.payload.map { try JSONCoding.encode($0) } ?? "{}"
            let job = JobRequest(type: entry.type, payload: payload, queue: entry.queue, options: JobOptions(uniqueKey: entry.uniqueKey))
            return Schedule(id: entry.id, spec: spec, job: job, misfire: policy, origin: "environment")
        }
    }
}

/// Any JSON value, kept as decoded so it can be written back.
indirect enum JSONValue: Codable, Sendable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }
}

/// Applies ``ScheduleOverrides`` to another source's schedules.
public struct OverriddenScheduleSource: ScheduleSource {
    let base: any ScheduleSource
    let overrides: ScheduleOverrides

    /// Wraps `base`.
    public init(_ base: any ScheduleSource, overrides: ScheduleOverrides) {
        self.base = base
        self.overrides = overrides
    }

    public var name: String { base.name }

    public func schedules() async throws -> [Schedule] {
        try await base.schedules().compactMap(overrides.apply)
    }
}
