import Logging
import Queue

/// Every job type the JoyCity fleet runs, registered in one place so every worker process knows them all.
///
/// Job types arrive with their issues: WB sync (`wb.sync`) and KPI recompute (`kpi.recompute`, a placeholder)
/// are here; backup and cache invalidation will register here. The built-in `queue.diagnostic`, `queue.noop` and `queue.latency` jobs are always there.
public enum FleetJobs {
    /// A registry with every fleet job type; `wb.sync` and `kpi.recompute` when a syncer is given.
    public static func registry(wbSync: WBSyncer? = nil) -> JobRegistry {
        var registry = JobRegistry()
        registry.registerDiagnostic()
        registry.registerProbes()
        if let wbSync { registry.registerWBSync(wbSync) }
        return registry
    }
}
