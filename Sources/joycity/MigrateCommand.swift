import ArgumentParser
import FleetCore
import FleetStore

/// `joycity migrate`: applies pending PostgreSQL migrations (workers also do it at start). Safe to run from several
/// processes at once: an advisory lock serialises them.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending PostgreSQL migrations (DATABASE_URL).")

    func run() async throws {
        do {
            let environment = EnvironmentReader()
            let logger = try Runtime.logger("joycity.migrate", environment: environment)
            let applied = try await Runtime.withDatabase(environment: environment, logger: logger) { client in
                try await Migrator(client: client, logger: logger).migrate()
            }
            print(
                applied.isEmpty
                    ? "schema is current (\(Migration.all.count) migrations)"
                    : "applied migrations \(applied.map(String.init).joined(separator: ", "))"
            )
        } catch {
            Runtime.fail(error)
        }
    }
}
