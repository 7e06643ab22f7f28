import FleetStore
import Logging
import PostgresNIO
import ServiceLifecycle

/// Says once at start, in the log, when the API's database login has more rights than its role: a superuser (or the
/// owner) that switched to `joycity_api` can `RESET ROLE` back. The fix is its own login (`joycity users api-login`).
struct DatabaseLoginCheck: Service {
    let client: PostgresClient
    let logger: Logger

    func run() async throws {
        for attempt in 1...10 {
            do {
                let login = try await APILogin.privileges(client: client, logger: logger)
                if login.superuser || login.login != "joycity_api" {
                    logger.warning(
                        "the API logs in to PostgreSQL as \(login.login)\(login.superuser ? " (a superuser)" : ""), not as joycity_api: a statement could RESET ROLE to it. Give the API its own login: joycity users api-login, then API_DATABASE_URL=postgres://joycity_api:…@host/db"
                    )
                }
                break
            } catch {
                if attempt == 10 || Task.isCancelled { break }
                try? await Task.sleep(for: .seconds(Double(attempt)))
            }
        }
        try? await gracefulShutdown()
    }
}
