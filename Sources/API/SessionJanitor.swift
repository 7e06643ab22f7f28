import FleetStore
import Logging
import ServiceLifecycle

/// Deletes long-dead sessions every `interval` (expired or revoked more than `keep` ago), so the session tables
/// stay the size of the live ones. Any number of API replicas may run it; the deletes are idempotent.
public struct SessionJanitor: Service {
    let sessions: SessionStore
    let interval: Duration
    let keep: Duration
    let logger: Logger

    public init(sessions: SessionStore, interval: Duration = .seconds(3600), keep: Duration = .seconds(7 * 86_400), logger: Logger) {
        self.sessions = sessions
        self.interval = interval
        self.keep = keep
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Cancelled by shutdown too: with PostgreSQL down the delete would wait for a connection.
                let pruned = try await cancelWhenGracefulShutdown { try await sessions.prune(keep: keep) }
                if pruned > 0 { logger.info("pruned ended sessions", metadata: ["sessions.pruned": "\(pruned)"]) }
            } catch  where Task.isShuttingDownGracefully || Task.isCancelled {
                return
            } catch {
                logger.warning("could not prune ended sessions; trying again later", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
