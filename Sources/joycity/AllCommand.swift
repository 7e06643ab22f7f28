import ArgumentParser
import FleetCore
import Logging
import ServiceLifecycle
import UnixSignals

/// `joycity all`: every role of the fleet in one process, for a laptop or a single small server.
///
/// Today that is the worker (with its metrics endpoint); the scheduler, API and proxy edge join as their issues land.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every fleet role in one process (today: the worker and its /metrics).")

    func run() async throws {
        do {
            let environment = EnvironmentReader()
            let logger = try Runtime.logger("joycity", environment: environment)
            let worker = try WorkerServices(environment: environment, logger: logger)
            logger.info("joycity all: running the worker; the scheduler, API and proxy edge are not built yet")
            try await ServiceGroup(
                configuration: .init(services: worker.services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            ).run()
        } catch {
            Runtime.fail(error)
        }
    }
}
