import Metrics
import Synchronization

/// swift-metrics instruments of the worker runtime, created once per (queue, job type) and cached.
///
/// - `joycity_jobs_total{queue,type,status}`: finished runs by outcome (completed, retrying, dead, cancelled, rejected,
///   abandoned)
/// - `joycity_job_duration_seconds{queue,type}`: handler run time
/// - `joycity_job_wait_seconds{queue}`: from the stream entry's creation to start
/// - `joycity_jobs_in_flight`: jobs running in this process
/// - `joycity_queue_redis_errors_total{operation}`: failed Redis round trips of the worker loops
final class QueueMetrics: Sendable {
    struct Key: Hashable {
        let queue: String
        let type: String
    }

    /// The instruments of one (queue, job type).
    final class JobInstruments: Sendable {
        static let statuses = ["completed", "cancelled", "retrying", "dead", "rejected", "abandoned"]
        let duration: Metrics.Timer
        let wait: Metrics.Timer
        private let outcomes: [String: Counter]

        let queue: String
        let type: String

        func matches(queue: String, type: String) -> Bool { self.queue == queue && self.type == type }

        init(queue: String, type: String) {
            self.queue = queue
            self.type = type
            duration = Metrics.Timer(
                label: "joycity_job_duration_seconds",
                dimensions: [("queue", queue), ("type", type)],
                preferredDisplayUnit: .seconds
            )
            wait = Metrics.Timer(label: "joycity_job_wait_seconds", dimensions: [("queue", queue)], preferredDisplayUnit: .seconds)
            var outcomes: [String: Counter] = [:]
            for status in JobInstruments.statuses {
                outcomes[status] = Counter(label: "joycity_jobs_total", dimensions: [("queue", queue), ("type", type), ("status", status)])
            }
            self.outcomes = outcomes
        }

        func finished(_ status: String) {
            outcomes[status]?.increment()
        }
    }

    private let instruments = Mutex([Key: JobInstruments]())
    private let errors = Mutex([String: Counter]())
    let inFlight = Gauge(label: "joycity_jobs_in_flight")

    /// The instruments of (`queue`, `type`): `last` itself when it is theirs (callers running many jobs of one type
    /// keep the last ones and skip the locked lookup), otherwise from the cache.
    func job(queue: String, type: String, reusing last: JobInstruments? = nil) -> JobInstruments {
        if let last, last.matches(queue: queue, type: type) { return last }
        let key = Key(queue: queue, type: type)
        return instruments.withLock { cache in
            if let cached = cache[key] { return cached }
            let created = JobInstruments(queue: queue, type: type)
            cache[key] = created
            return created
        }
    }

    func redisError(operation: String) {
        let counter = errors.withLock { cache in
            if let counter = cache[operation] { return counter }
            let counter = Counter(label: "joycity_queue_redis_errors_total", dimensions: [("operation", operation)])
            cache[operation] = counter
            return counter
        }
        counter.increment()
    }
}
