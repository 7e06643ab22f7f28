import ArgumentParser
import FleetCore
import FleetStore
import Logging
import Queue
import Scheduler
import ServiceLifecycle
import UnixSignals
import Workers

/// `joycity scheduler`: run a scheduler replica (any number may run; one leads) until SIGTERM/SIGINT.
struct SchedulerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scheduler",
        abstract: "Run a scheduler replica: one of any number leads through a Redis lease and enqueues due schedules.",
        discussion: "Schedules: see `joycity queue schedules` and README (SCHEDULE_<ID>, SCHEDULER_* variables)."
    )

    func run() async throws {
        do {
            let environment = EnvironmentReader()
            let logger = try Runtime.logger("joycity.scheduler", environment: environment)
            let redis = try Runtime.redis(environment: environment, logger: logger, name: "joycity-scheduler")
            let queue = StreamQueue(redis: redis, configuration: try .init(environment: environment))
            let database = try DatabaseConfiguration(environment: environment)
            let postgres = database.makeClient(logger: logger)
            let store = PostgresStore(client: postgres, server: database.displayName, logger: logger)
            let accounts = AccountStore(client: postgres, secrets: try SecretBox(environment: environment), logger: logger)
            let scheduler = try SchedulerServices.make(queue: queue, accounts: accounts, store: store, environment: environment, logger: logger)
            try await Runtime.serviceGroup([redis, store, scheduler], environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}

/// Builds the fleet's scheduler from the environment: built-in schedules, `SCHEDULER_EXTRA_SCHEDULES`, and
/// per-account schedules from the store, all with `SCHEDULE_<ID>` overrides applied.
enum SchedulerServices {
    static func make(
        queue: StreamQueue,
        accounts: AccountStore,
        store: PostgresStore,
        environment: EnvironmentReader,
        logger: Logger
    ) throws -> SchedulerService {
        let overrides = try ScheduleOverrides(environment: environment)
        let intervals = try FleetSchedules.Configuration(environment: environment)
        let builtin = StaticScheduleSource(name: "built-in", try FleetSchedules.builtin(zone: overrides.zone) + overrides.extra)
        let perAccount = StoreBackedSchedules(
            base: FleetSchedules.AccountSchedules(accounts: accounts, configuration: intervals, zone: overrides.zone),
            store: store
        )
        return SchedulerService(
            queue: queue,
            sources: [OverriddenScheduleSource(builtin, overrides: overrides), OverriddenScheduleSource(perAccount, overrides: overrides)],
            configuration: try .init(environment: environment),
            logger: logger
        )
    }
}

/// A source read from PostgreSQL once this process has applied the migrations: at start-up it waits for them
/// (`joycity all` starts the scheduler and the migrating store together, so reading at once would log a false
/// error); during an outage the read fails and the scheduler keeps the schedules it has.
struct StoreBackedSchedules: ScheduleSource {
    let base: any ScheduleSource
    let store: PostgresStore
    var name: String { base.name }

    func schedules() async throws -> [Schedule] {
        try await store.waitUntilReady(timeout: .seconds(120))
        return try await base.schedules()
    }
}
