import JobCatalog
import Queue

extension KPIRecomputeJob {
    struct Result: Encodable {
        let account: Int64
        let computed: Bool
        let note: String
    }

    /// Runs the placeholder.
    public static func run(_ payload: Payload, _ context: JobContext) async throws {
        try context.setResult(Result(account: payload.account, computed: false, note: "KPI computation is not implemented yet (KPI issue)"))
    }
}
