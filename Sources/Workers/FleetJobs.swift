import Logging
import Queue

/// Every job type the JoyCity fleet runs, registered in one place so every worker process knows them all.
///
/// Job types arrive with their issues: WB sync (`wb.sync`), KPI recompute, backup and cache invalidation will
/// register here. The built-in `queue.diagnostic`, `queue.noop` and `queue.latency` jobs are always there.
public enum FleetJobs {
    /// A registry with every fleet job type.
    public static func registry() -> JobRegistry {
        var registry = JobRegistry()
        registry.registerDiagnostic()
        registry.registerProbes()
        return registry
    }
}
