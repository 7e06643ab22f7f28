import Assignments
import FleetStore
import JobCatalog
import KPI
import Queue

extension KPIRecomputeJob {
    struct Result: Encodable {
        let account: Int64
        let months: [KPIStore.Outcome]
    }

    struct Progress: Encodable {
        let month: String
        let done: Int
        let of: Int
    }

    /// Recomputes the payload's month, or without one the recent months: forced (nightly) this month and the one
    /// before, otherwise the last `recentMonths` whose data, assignment or settings changed.
    public static func run(_ payload: Payload, _ context: JobContext, store: KPIStore, recentMonths: Int = 4) async throws {
        let force = payload.force ?? false
        let months: [AssignmentMonth]
        if let text = payload.month {
            guard let month = AssignmentMonth(exactly: text) else {
                throw JobFailure.permanent("\"\(text)\" is not a month (YYYY-MM)")
            }
            months = [month]
        } else {
            months = store.recentMonths(count: force ? 2 : recentMonths)
        }
        var outcomes: [KPIStore.Outcome] = []
        for (index, month) in months.enumerated() {
            try? await context.reportProgress(Progress(month: month.description, done: index, of: months.count))
            do {
                outcomes.append(
                    try await store.recompute(
                        account: payload.account,
                        month: month,
                        force: force,
                        trigger: payload.reason ?? "sync",
                        jobID: context.id
                    )
                )
            } catch let error as KPIError where error.kind == .notFound {
                throw JobFailure.permanent(error.message)
            } catch let error as KPIError {
                throw JobFailure.permanent(error.message)
            } catch let error as StoreError {
                throw JobFailure.retryable(error.description)
            }
        }
        try context.setResult(Result(account: payload.account, months: outcomes))
    }
}

extension JobRegistry {
    /// Registers `kpi.recompute` on `store`; each run first waits for `waitForStore` (the schema being current).
    public mutating func registerKPI(_ store: KPIStore, waitForStore: @escaping @Sendable () async throws -> Void = {}) {
        register(KPIRecomputeJob.type) { payload, context in
            do {
                try await waitForStore()
            } catch {
                throw JobFailure.retryable(String(describing: error))
            }
            try await KPIRecomputeJob.run(payload, context, store: store)
        }
    }
}
