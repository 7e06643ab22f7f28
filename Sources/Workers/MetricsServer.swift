import FleetHTTP
import Hummingbird
import Logging
import Metrics
import Prometheus
import Queue

/// The worker's HTTP endpoint: Prometheus `/metrics` and `/health`.
///
/// Build it with ``MetricsServer/application(registry:worker:host:port:logger:)`` and run the result in the
/// process's `ServiceGroup` (a Hummingbird `Application` is a `Service`).
public enum MetricsServer {
    /// An application serving `GET /metrics` (Prometheus text format) and `GET /health` (`{"status":"ok","running":N}`).
    public static func application(
        registry: PrometheusCollectorRegistry,
        worker: QueueWorker?,
        host: String,
        port: Int,
        logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ -> Response in PrometheusExposition.response(registry) }
        router.get("/health") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            let running = worker?.runningCount ?? 0
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","running":\#(running)}"#)))
        }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "joycity-worker"),
            logger: logger
        )
    }
}
