import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import JobCatalog
import Queue

/// Backups: queue one (as `joycity backup run` does) and list recent ones.
struct BackupsController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.requestBackupEndpoint, requestBackup)
        routes.add(Self.listBackupsEndpoint, listBackups)
    }

    static let requestBackupEndpoint = Endpoint(
        .post,
        "/api/backups",
        "requestBackup",
        "Queue a PostgreSQL backup to S3 (a second request while one is queued or running returns that one)",
        tag: "backups",
        access: .adminOnly,
        status: 202,
        response: .json(.ref("BackupQueued"))
    )
    /// `POST /api/backups`: Queue a PostgreSQL backup to S3 (a second request while one is queued or running returns that one).
    @Sendable func requestBackup(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let principal = try context.requirePrincipal()
        let result = try await QueuesController.queueCall { try await api.queue.enqueue(try BackupJob.request(trigger: "api:\(principal.login)")) }
        return try JSONBodies.response(BackupQueued(jobId: result.id, alreadyRunning: result.status == .duplicate), status: .accepted)
    }

    static let listBackupsEndpoint = Endpoint(
        .get,
        "/api/backups",
        "listBackups",
        "Recent backups, newest first, with status and progress (bytes, parts)",
        tag: "backups",
        access: .queueReaders,
        query: [("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false)],
        response: .json(.arrayOf(.ref("Backup")))
    )
    /// `GET /api/backups`: Recent backups, newest first, with status and progress (bytes, parts).
    @Sendable func listBackups(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let limit = try QueuesController.query(request, "limit", default: 50, range: 1...1000, what: "a whole number")
        return try JSONBodies.response(try await api.backups.list(limit: limit).map(BackupView.init))
    }
}
