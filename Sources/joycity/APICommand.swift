import API
import ArgumentParser
import FleetCore
import ServiceLifecycle
import UnixSignals

/// `joycity api`: the HTTP API (sign-in, users, seller accounts, backups, queue admin) until SIGTERM/SIGINT.
struct APICommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "api",
        abstract: "Run the HTTP API until SIGTERM or SIGINT.",
        discussion: "Needs API_JWT_KEYS; see README (API_* variables) and docs/api.md."
    )

    @Option(help: "Port to listen on. Overrides API_PORT.") var port: Int?

    func run() async throws {
        do {
            var overrides: [String: String] = [:]
            if let port { overrides["API_PORT"] = String(port) }
            let environment = EnvironmentReader(overrides: overrides)
            let logger = try Runtime.logger("joycity.api", environment: environment)
            let server = try await APIServer.make(environment: environment, logger: logger, metrics: Runtime.prometheus())
            try await Runtime.serviceGroup(server.services, environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}
