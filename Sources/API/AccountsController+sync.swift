import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import JobCatalog
import Queue

extension AccountsController {
    static let syncAccountEndpoint = Endpoint(
        .post,
        "/api/accounts/{id}/sync",
        "syncAccount",
        "Sync an account now: queue wb.sync for its orders, sales and report (a dataset already queued or running returns that job)",
        tag: "accounts",
        access: .adminOnly,
        status: 202,
        response: .json(.ref("AccountSyncQueued"))
    )
    /// `POST /api/accounts/{id}/sync`: the same jobs the scheduler queues (and `joycity accounts sync ID`), one per
    /// dataset; each is unique per account and dataset, so a second click returns the jobs already queued.
    @Sendable func syncAccount(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("id", as: Int64.self)
        let account = try await api.accounts.account(id: id)
        guard account.hasToken else {
            throw APIError.conflict("account \(id) has no WB token: set one (PATCH /api/accounts/\(id) with token) before syncing")
        }
        let datasets = WBDataset.allCases
        let requests = try WBSyncJob.requests(accounts: [id], datasets: datasets)
        let results = try await QueuesController.queueCall { try await api.queue.enqueue(requests) }
        let jobs = zip(datasets, results).map {
            AccountSyncQueued.Job(dataset: $0.rawValue, jobId: $1.id, alreadyQueued: $1.status == .duplicate)
        }
        return try JSONBodies.response(AccountSyncQueued(account: id, jobs: jobs), status: .accepted)
    }
}

/// The `POST /api/accounts/{id}/sync` answer: the job of each dataset.
struct AccountSyncQueued: Codable, Sendable {
    /// One dataset's job.
    struct Job: Codable, Sendable {
        var dataset: String
        var jobId: String
        /// True when a sync of this dataset was already queued or running: this is its job.
        var alreadyQueued: Bool
    }
    var account: Int64
    var jobs: [Job]
}
