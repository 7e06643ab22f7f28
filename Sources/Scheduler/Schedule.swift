import FleetCore
import Queue

/// What to do with fires missed while no scheduler was leading (downtime, a long pause).
public enum MisfirePolicy: Sendable, Equatable, CustomStringConvertible {
    /// Run once for all missed fires (the latest), the default.
    case coalesce
    /// Run every missed fire, oldest first, at most `limit` of them (the most recent ones).
    case catchUp(limit: Int)

    /// Parses `coalesce` or `catch-up[:N]` (N defaults to 100).
    public init?(parsing text: String) {
        let lowered = text.lowercased()
        if lowered == "coalesce" {
            self = .coalesce
            return
        }
        guard lowered.hasPrefix("catch-up") else { return nil }
        let rest = lowered.dropFirst("catch-up".count)
        if rest.isEmpty {
            self = .catchUp(limit: 100)
            return
        }
        guard rest.first == ":", let limit = Int(rest.dropFirst()), limit >= 1 else { return nil }
        self = .catchUp(limit: limit)
    }

    public var description: String {
        switch self {
        case .coalesce: return "coalesce"
        case .catchUp(let limit): return "catch-up:\(limit)"
        }
    }
}

/// One schedule: a stable id, when it fires, and the job each fire enqueues.
///
/// The job's unique key (``JobOptions/uniqueKey`` in ``job``) keeps a slow run from being doubled: while it is
/// queued or running, a fire returns the existing job instead of adding one.
public struct Schedule: Sendable {
    /// Stable id (letters, digits, `.`, `-`, `_`, `:`); fire idempotency and state are keyed by it.
    public var id: String
    /// When it fires.
    public var spec: ScheduleSpec
    /// The job each fire enqueues.
    public var job: JobRequest
    /// What to do with fires missed during downtime.
    public var misfire: MisfirePolicy
    /// Where the schedule came from (`built-in`, `environment`, `accounts`…), for listings.
    public var origin: String
    /// Whether a schedule the scheduler has never seen fires at once (its latest past fire time) instead of
    /// waiting for its next one: a newly added account syncs now, not in half an hour.
    public var firesWhenNew: Bool

    /// Creates a schedule.
    public init(
        id: String,
        spec: ScheduleSpec,
        job: JobRequest,
        misfire: MisfirePolicy = .coalesce,
        origin: String = "built-in",
        firesWhenNew: Bool = false
    ) {
        self.id = id
        self.spec = spec
        self.job = job
        self.misfire = misfire
        self.origin = origin
        self.firesWhenNew = firesWhenNew
    }

    /// Whether `id` is a usable schedule id.
    public static func isValidID(_ id: String) -> Bool { NameSyntax.scheduleID.admits(id) }
}

/// Something that provides schedules; the leader asks again every refresh interval, so sources backed by a store
/// (per-account syncs) follow its changes.
public protocol ScheduleSource: Sendable {
    /// A name for logs and errors.
    var name: String { get }
    /// The current schedules.
    func schedules() async throws -> [Schedule]
}

/// A fixed list of schedules.
public struct StaticScheduleSource: ScheduleSource {
    public let name: String
    let list: [Schedule]

    /// Creates a source over a fixed list.
    public init(name: String, _ schedules: [Schedule]) {
        self.name = name
        self.list = schedules
    }

    public func schedules() async throws -> [Schedule] { list }
}
