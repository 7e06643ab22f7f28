import Hummingbird
import Metrics
import NIOCore
import Prometheus

/// The process's Prometheus registry and its text exposition, for every role's `/metrics`.
public enum PrometheusExposition {
    /// The process's Prometheus registry; swift-metrics is bootstrapped with it on first use (once per process, so
    /// the worker, scheduler and API of `joycity all` share it).
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()

    /// The Prometheus text exposition (format 0.0.4) of `registry`.
    public static func response(_ registry: PrometheusCollectorRegistry) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
    }
}
