import FleetCore
import Foundation

extension SchedulerService {
    /// Scheduler settings.
    public struct Configuration: Sendable {
        /// How long a leader lease lasts without renewal (`SCHEDULER_LEASE`, default 15s); a killed leader is
        /// replaced within it.
        public var lease: Duration
        /// How often the leader renews (default a third of the lease).
        public var renewInterval: Duration
        /// How often the leader reloads schedules from their sources (`SCHEDULER_REFRESH`, default 30s).
        public var refreshInterval: Duration
        /// This process's name in the lease (`SCHEDULER_INSTANCE`, default host name and process id).
        public var instance: String
        /// The shortest time a fire's idempotency key is kept (default 1 h; at least two periods of the schedule).
        public var firedKeyTTL: Duration
        /// The longest a schedule source may take to answer (default 5s); a source that takes longer (PostgreSQL
        /// down) keeps its previous schedules, so the others still fire on time.
        public var sourceTimeout: Duration

        /// Creates a configuration.
        public init(
            lease: Duration = .seconds(15),
            renewInterval: Duration? = nil,
            refreshInterval: Duration = .seconds(30),
            instance: String? = nil,
            firedKeyTTL: Duration = .seconds(3600),
            sourceTimeout: Duration = .seconds(5)
        ) {
            self.lease = lease
            self.renewInterval = renewInterval ?? lease / 3
            self.refreshInterval = refreshInterval
            self.instance = instance ?? Self.defaultInstance()
            self.firedKeyTTL = firedKeyTTL
            self.sourceTimeout = sourceTimeout
        }

        /// Reads `SCHEDULER_LEASE`, `SCHEDULER_REFRESH` and `SCHEDULER_INSTANCE`.
        /// - Throws: ``ConfigurationError`` for unusable values.
        public init(environment: EnvironmentReader) throws {
            let lease = try environment.duration("SCHEDULER_LEASE", default: .seconds(15), defaultUnit: .seconds)
            guard lease >= .seconds(1) else {
                throw ConfigurationError(
                    variable: "SCHEDULER_LEASE",
                    value: environment.string("SCHEDULER_LEASE") ?? "",
                    expected: "a duration of 1s or more"
                )
            }
            let refresh = try environment.duration("SCHEDULER_REFRESH", default: .seconds(30), defaultUnit: .seconds)
            guard refresh >= .seconds(1) else {
                throw ConfigurationError(
                    variable: "SCHEDULER_REFRESH",
                    value: environment.string("SCHEDULER_REFRESH") ?? "",
                    expected: "a duration of 1s or more"
                )
            }
            self.init(lease: lease, refreshInterval: refresh, instance: environment.string("SCHEDULER_INSTANCE"))
        }

        static func defaultInstance() -> String {
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            return "\(host)-\(getpid())"
        }
    }
}
