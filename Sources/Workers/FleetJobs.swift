import JobCatalog
import KPI
import Logging
import Queue

/// Every job type the JoyCity fleet runs, registered in one place so every worker process knows them all.
///
/// Job types arrive with their issues: WB sync (`wb.sync`) and KPI recompute (`kpi.recompute`) are here; backup (`backup.run`) and cache invalidation (`cache.invalidate`, after every assignment change) are here. The built-in `queue.diagnostic`, `queue.maintenance`, `queue.noop` and `queue.latency` jobs are always there.
public enum FleetJobs {
    /// A registry with every fleet job type; `wb.sync` when a syncer is given, `kpi.recompute` when a KPI store is,
    /// `backup.run` when a way to build the backup runner is.
    public static func registry(
        wbSync: WBSyncer? = nil,
        kpi: KPIStore? = nil,
        kpiReady: @escaping @Sendable () async throws -> Void = {},
        backups: (@Sendable () throws -> BackupRunner)? = nil
    ) -> JobRegistry {
        var registry = JobRegistry()
        registry.registerDiagnostic()
        registry.registerProbes()
        registry.registerMaintenance()
        registry.registerCacheInvalidation()
        if let wbSync { registry.registerWBSync(wbSync) }
        if let kpi { registry.registerKPI(kpi, waitForStore: kpiReady) }
        if let backups { registry.registerBackup(runner: backups) }
        return registry
    }

    /// Job types a fleet worker registers only when configured for them (WB sync and KPI with PostgreSQL, backups
    /// with S3): with ``registry(wbSync:kpi:kpiReady:backups:)``'s built-in ones, every type a worker of this build can run.
    public static let optionalTypes = [WBSyncJob.type.name, KPIRecomputeJob.type.name, BackupJob.type.name]
}
