import Metrics
import Synchronization

/// swift-metrics instruments of the worker runtime, cached per label set.
///
/// - `joycity_jobs_total{queue,type,status}`: finished runs by outcome (completed, retrying, dead, cancelled, rejected)
/// - `joycity_job_duration_seconds{queue,type}`: handler run time
/// - `joycity_job_wait_seconds{queue}`: from enqueue (or due time) to start
/// - `joycity_jobs_in_flight`: jobs running in this process
/// - `joycity_queue_redis_errors_total{operation}`: failed Redis round trips of the worker loops
final class QueueMetrics: Sendable {
    private let counters = Mutex([String: Counter]())
    private let timers = Mutex([String: Metrics.Timer]())
    let inFlight = Gauge(label: "joycity_jobs_in_flight")

    func jobFinished(queue: String, type: String, status: String) {
        let key = "\(queue)\u{0}\(type)\u{0}\(status)"
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: "joycity_jobs_total", dimensions: [("queue", queue), ("type", type), ("status", status)])
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    func redisError(operation: String) {
        let key = "redis\u{0}\(operation)"
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Counter(label: "joycity_queue_redis_errors_total", dimensions: [("operation", operation)])
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    func duration(queue: String, type: String, nanoseconds: Int64) {
        timer("joycity_job_duration_seconds", [("queue", queue), ("type", type)]).recordNanoseconds(nanoseconds)
    }

    func wait(queue: String, milliseconds: Int64) {
        timer("joycity_job_wait_seconds", [("queue", queue)]).recordMilliseconds(max(0, milliseconds))
    }

    private func timer(_ label: String, _ dimensions: [(String, String)]) -> Metrics.Timer {
        let key = label + dimensions.map { "\u{0}\($0.1)" }.joined()
        return timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds)
            cache[key] = timer
            return timer
        }
    }
}
