import Hummingbird
import Logging
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

    /// A listener of its own for `GET /metrics` (Prometheus text) and `GET /health` (`{"status":"ok", …}` with
    /// `health()`'s extra fields, e.g. `"running":3`): kept off the public port, so only the monitoring network
    /// reaches it. Run it in the process's `ServiceGroup` (an `Application` is a `Service`).
    public static func application(
        registry: PrometheusCollectorRegistry,
        host: String,
        port: Int,
        serverName: String,
        logger: Logger,
        health: @escaping @Sendable () -> String = { "" }
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in response(registry) }
        router.get("/health") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let extra = health()
            let body = #"{"status":"ok"\#(extra.isEmpty ? "" : "," + extra)}"#
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        return Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: serverName), logger: logger)
    }
}
