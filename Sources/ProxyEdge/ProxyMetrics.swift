import FleetCore
import Metrics
import Synchronization

/// The proxy edge's swift-metrics instruments (Prometheus names), created once per label set and cached:
///
/// - `joycity_proxy_requests_total{route,status}`: answered requests; `route` is the WB host (or `health`,
///   `dropped`, `unknown`)
/// - `joycity_proxy_denied_total{reason}`: requests refused before WB (`signin`, `no_account`, `endpoint`,
///   `foreign_change`, `unreadable_request`, `session`)
/// - `joycity_proxy_filter_seconds{kind}`: time spent filtering an answer (`json`, `xlsx`)
/// - `joycity_proxy_filter_refused_total{reason}`: answers not shown (`unreadable`, `encoding`, `foreign`, `xlsx`)
/// - `joycity_proxy_upstream_seconds{host}`: WB's answer time
/// - `joycity_proxy_cache_total{cache,result}`: `articles` (hit, miss)
/// - `joycity_proxy_portal_session_total{event}`: `renewed`, `invalid`, `retried`
final class ProxyMetrics: Sendable {
    private let counters = Mutex([String: Metrics.Counter]())
    private let timers = Mutex([String: Metrics.Timer]())

    func count(_ label: String, _ dimensions: [(String, String)]) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let counter = counters.withLock { cache in
            if let counter = cache[key] { return counter }
            let counter = Metrics.Counter(label: label, dimensions: dimensions)
            cache[key] = counter
            return counter
        }
        counter.increment()
    }

    func time(_ label: String, _ dimensions: [(String, String)], _ duration: Duration) {
        let key = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let timer = timers.withLock { cache in
            if let timer = cache[key] { return timer }
            let timer = Metrics.Timer(label: label, dimensions: dimensions, preferredDisplayUnit: .seconds)
            cache[key] = timer
            return timer
        }
        timer.recordNanoseconds(duration.nanoseconds)
    }

    func request(route: String, status: Int) { count("joycity_proxy_requests_total", [("route", route), ("status", String(status))]) }
    func denied(_ reason: String) { count("joycity_proxy_denied_total", [("reason", reason)]) }
    func refused(_ reason: String) { count("joycity_proxy_filter_refused_total", [("reason", reason)]) }
    func filtered(_ kind: String, _ duration: Duration) { time("joycity_proxy_filter_seconds", [("kind", kind)], duration) }
    func upstream(_ host: String, _ duration: Duration) { time("joycity_proxy_upstream_seconds", [("host", host)], duration) }
    func cache(_ cache: String, hit: Bool) { count("joycity_proxy_cache_total", [("cache", cache), ("result", hit ? "hit" : "miss")]) }
    func portalSession(_ event: String) { count("joycity_proxy_portal_session_total", [("event", event)]) }
}
