import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization

/// A faithful local stand-in for WB's Statistics API (and the finance-api report successor), after
/// ../shared/wb/WB-API.md: documented paths, parameters, field names, 400/401/404/429 bodies and headers, MSK
/// timestamps, `lastChangeDate` paging with its `>=` boundary, 204 at the end of the report, per-seller token-bucket
/// limits, and fault injection. Every WB host is served on one port (paths do not collide), so a client switches
/// only its base URLs.
///
/// Control endpoints for tests and demos live under `/__fake/`: `GET token?seller=1[&scope=statistics,finance][&expired=1][&kind=1]`,
/// `GET sellers`, `GET stats`, `POST cancel?seller=1&count=5`, `POST add?seller=1&count=5`,
/// `POST recompute?seller=1&change=2&remove=1`, `POST fault?kind=500|slow|truncate&count=1`.
public enum FakeWBServer {
    /// The application (a Hummingbird `Service`). `onRunning` receives the bound port (useful with port 0).
    public static func application(
        state: FakeWBState,
        host: String,
        port: Int,
        logger: Logger,
        onRunning: (@Sendable (Int) async -> Void)? = nil
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/ping") { request, _ -> Response in
            guard case .success = state.tokens.verify(request.headers[.authorization], needed: nil) else {
                return problem(.unauthorized, FixtureTemplates.error401Malformed, detail: nil)
            }
            switch state.admit(sid: "ping", group: "ping") {
            case .throttled(let retry, let limit, let reset): return throttled(retry, limit, reset)
            case .allowed:
                let ts = ISO8601DateFormatter.msk.string(from: Date())
                return json(.ok, #"{"TS":"\#(ts)","Status":"OK"}"#)
            }
        }
        for dataset in ["orders", "sales"] {
            router.get("/api/v1/supplier/\(dataset)") { request, _ -> Response in
                try await serve(state, request, group: dataset, needed: FakeWBTokens.statistics) { sid in
                    guard let from = request.uri.queryParameters.get("dateFrom") else {
                        return .response(json(.badRequest, FixtureTemplates.error400DateFromRequired))
                    }
                    guard let fromMs = MSK.parse(String(from)) else { return .response(json(.badRequest, FixtureTemplates.error400DateFromInvalid)) }
                    let flag = request.uri.queryParameters.get("flag").flatMap { Int($0) } ?? 0
                    return .rows(state.changes(sid: sid, dataset: dataset, fromMs: fromMs, flag: flag))
                }
            }
        }
        router.get("/api/v1/supplier/stocks") { _, _ -> Response in json(.notFound, FixtureTemplates.error404) }
        // common-api: the logistics planner's inputs, any valid token (WB-API.md §3).
        router.get("/api/tariffs/v1/acceptance/coefficients") { request, _ -> Response in
            try await serve(state, request, group: "acceptance", needed: nil) { _ in
                var ids: Set<Int64>?
                if let text = request.uri.queryParameters.get("warehouseIDs"), !text.isEmpty {
                    let parts = text.split(separator: ",").map { Int64($0.trimmingCharacters(in: .whitespaces)) }
                    guard parts.allSatisfy({ $0 != nil }) else {
                        return .response(
                            json(.badRequest, #"{"title":"invalid query","detail":"warehouseIDs must be comma-separated numbers","status":400}"#)
                        )
                    }
                    ids = Set(parts.compactMap { $0 })
                }
                return .response(json(.ok, FakeTariffs.coefficients(from: Date(), warehouses: ids)))
            }
        }
        router.get("/api/v1/tariffs/box") { request, _ -> Response in
            try await serve(state, request, group: "tariffs", needed: nil) { _ in
                guard let date = request.uri.queryParameters.get("date"), date.count == 10, date.split(separator: "-").count == 3 else {
                    return .response(json(.badRequest, #"{"title":"invalid query","detail":"date is required as YYYY-MM-DD","status":400}"#))
                }
                return .response(json(.ok, FakeTariffs.boxTariffs(date: String(date))))
            }
        }
        router.get("/api/v1/supplier/incomes") { _, _ -> Response in json(.notFound, FixtureTemplates.error404) }
        router.get("/api/v5/supplier/reportDetailByPeriod") { request, _ -> Response in
            try await serve(state, request, group: "report", needed: FakeWBTokens.statistics) { sid in
                let query = request.uri.queryParameters
                return reportPage(state, sid, query.get("dateFrom"), query.get("dateTo"), query.get("rrdid"), query.get("limit"), finance: false)
            }
        }
        router.post("/api/finance/v1/sales-reports/detailed") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            return try await serve(state, request, group: "finance", needed: FakeWBTokens.finance) { sid in
                guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
                    return .response(json(.badRequest, #"{"title":"bad request","detail":"request body is not a JSON object","status":400}"#))
                }
                func text(_ key: String) -> String? { (object[key] as? String) ?? (object[key] as? NSNumber)?.stringValue }
                return reportPage(state, sid, text("dateFrom"), text("dateTo"), text("rrdId"), text("limit"), finance: true)
            }
        }
        addControl(router, state)
        router.addMiddleware { NotFoundMiddleware() }
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-wb"),
            onServerRunning: { channel in await onRunning?(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    enum Answer {
        case rows([String])
        case end
        case response(Response)
    }

    static func reportPage(
        _ state: FakeWBState,
        _ sid: String,
        _ from: String?,
        _ to: String?,
        _ rrdid: String?,
        _ limit: String?,
        finance: Bool
    ) -> Answer {
        guard let from, let fromMs = MSK.parse(from) else {
            return .response(
                json(
                    .badRequest,
                    FixtureTemplates.error400ReportMissingDateTo.replacingOccurrences(of: "missing dateTo params", with: "missing dateFrom params")
                )
            )
        }
        guard let to, let toMs = MSK.parse(to) else { return .response(json(.badRequest, FixtureTemplates.error400ReportMissingDateTo)) }
        let limitValue = limit.flatMap { Int($0) } ?? 100_000
        guard (1...100_000).contains(limitValue), let rrd = Int64(rrdid ?? "0") else {
            return .response(
                json(
                    .badRequest,
                    #"{"status":400,"title":"GetReportDetailByPeriodNB decode error","detail":"limit must be 1..100000 and rrdid an integer","request_id":"\#(UUID().uuidString.lowercased())","origin":"open-api"}"#
                )
            )
        }
        let rows = state.reportRows(sid: sid, fromDay: fromMs / MSK.dayMs, toDay: toMs / MSK.dayMs, rrdid: rrd, limit: limitValue, finance: finance)
        return rows.isEmpty ? .end : .rows(rows)
    }

    static func serve(
        _ state: FakeWBState,
        _ request: Request,
        group: String,
        needed: UInt64?,
        _ answer: (String) async throws -> Answer
    ) async throws -> Response {
        let claims: FakeWBTokens.Claims
        switch state.tokens.verify(request.headers[.authorization], needed: needed) {
        case .success(let c): claims = c
        case .failure(let problem):
            state.countUnauthorized(sid: "?", group: group)
            switch problem {
            case .malformed(let detail): return Self.problem(.unauthorized, FixtureTemplates.error401Malformed, detail: detail)
            case .expired: return Self.problem(.unauthorized, FixtureTemplates.error401Expired, detail: nil)
            case .scope: return Self.problem(.unauthorized, FixtureTemplates.error401Scope, detail: nil)
            }
        }
        let remaining: Int
        switch state.admit(sid: claims.sid, group: group) {
        case .throttled(let retry, let limit, let reset): return throttled(retry, limit, reset)
        case .allowed(let left): remaining = left
        }
        let fault = state.drawFault(sid: claims.sid, group: group)
        if fault == .serverError {
            return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: "Internal Server Error")))
        }
        if fault == .slow { try await Task.sleep(for: state.configuration.faults.slowDelay) }
        var headers = HTTPFields()
        headers[HTTPField.Name("X-Ratelimit-Remaining")!] = String(remaining)
        switch try await answer(claims.sid) {
        case .response(var response):
            response.headers[HTTPField.Name("X-Ratelimit-Remaining")!] = String(remaining)
            return response
        case .end:
            if group == "orders" || group == "sales" || state.reportEnd == .emptyArray {
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: "[]")))
            }
            return Response(status: .noContent, headers: headers)
        case .rows(let rows):
            headers[.contentType] = "application/json"
            var buffer = ByteBuffer()
            buffer.reserveCapacity(rows.reduce(2) { $0 + $1.utf8.count + 1 })
            buffer.writeStaticString("[")
            for (i, row) in rows.enumerated() {
                if i > 0 { buffer.writeStaticString(",") }
                buffer.writeString(row)
            }
            buffer.writeStaticString("]")
            if fault == .truncate { buffer.moveWriterIndex(to: buffer.writerIndex / 2) }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: buffer))
        }
    }

    static func json(_ status: HTTPResponse.Status, _ body: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A problem+json body from a fixture, with a fresh requestId and timestamp (and `detail` when given).
    static func problem(_ status: HTTPResponse.Status, _ fixture: String, detail: String?) -> Response {
        var object = (try? JSONSerialization.jsonObject(with: Data(fixture.utf8)) as? [String: Any]) ?? [:]
        if let detail { object["detail"] = detail }
        object["requestId"] = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        object["timestamp"] = ISO8601DateFormatter().string(from: Date())
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        var headers = HTTPFields()
        headers[.contentType] = "application/problem+json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func throttled(_ retry: Int, _ limit: Int, _ reset: Int) -> Response {
        var response = problem(.tooManyRequests, FixtureTemplates.error429, detail: "limited by \(UUID().uuidString.lowercased())")
        response.headers[HTTPField.Name("X-Ratelimit-Retry")!] = String(retry)
        response.headers[HTTPField.Name("X-Ratelimit-Limit")!] = String(limit)
        response.headers[HTTPField.Name("X-Ratelimit-Reset")!] = String(reset)
        return response
    }

    static func addControl(_ router: Router<BasicRequestContext>, _ state: FakeWBState) {
        router.get("/__fake/sellers") { _, _ -> Response in
            let list = state.sellerIDs.enumerated().map { #"{"seller":\#($0.offset + 1),"sid":"\#($0.element)"}"# }
            return json(.ok, "[" + list.joined(separator: ",") + "]")
        }
        router.get("/__fake/token") { request, _ -> Response in
            let query = request.uri.queryParameters
            let seller = query.get("seller").flatMap { Int($0) } ?? 1
            guard let scope = FakeWBTokens.scope(named: query.get("scope").map { String($0) } ?? "statistics,finance") else {
                return json(.badRequest, #"{"error":"scope takes statistics and/or finance"}"#)
            }
            let expires = query.get("expired") == "1" ? Date().addingTimeInterval(-3600) : nil
            let kind = query.get("kind").flatMap { Int($0) } ?? 3
            return Response(
                status: .ok,
                body: .init(byteBuffer: ByteBuffer(string: state.token(seller: seller, scope: scope, expires: expires, kind: kind)))
            )
        }
        router.get("/__fake/stats") { _, _ -> Response in
            var summary: [String: [String: Int]] = [:]
            for (key, c) in state.counters() {
                summary[key] = ["served": c.served, "throttled": c.throttled, "unauthorized": c.unauthorized, "faults": c.faults]
            }
            let data = (try? JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])) ?? Data()
            return json(.ok, String(decoding: data, as: UTF8.self))
        }
        @Sendable func count(_ request: Request, _ name: String, _ fallback: Int) -> Int {
            request.uri.queryParameters.get(name).flatMap { Int($0) } ?? fallback
        }
        router.post("/__fake/cancel") { request, _ -> Response in
            json(.ok, jsonArray(state.cancelOrders(seller: count(request, "seller", 1), count: count(request, "count", 1))))
        }
        router.post("/__fake/add") { request, _ -> Response in
            json(.ok, jsonArray(state.addOrders(seller: count(request, "seller", 1), count: count(request, "count", 1))))
        }
        router.post("/__fake/recompute") { request, _ -> Response in
            let result = state.recomputeReport(
                seller: count(request, "seller", 1),
                change: count(request, "change", 1),
                remove: count(request, "remove", 1)
            )
            return json(.ok, #"{"changed":\#(result.changed),"removed":\#(result.removed)}"#)
        }
        router.post("/__fake/fault") { request, _ -> Response in
            guard let kind = request.uri.queryParameters.get("kind"), let fault = FakeWBState.Fault(rawValue: String(kind)) else {
                return json(.badRequest, #"{"error":"kind must be 500, slow or truncate"}"#)
            }
            state.inject(fault, count: count(request, "count", 1))
            return json(.ok, #"{"ok":true}"#)
        }
    }

    static func jsonArray(_ items: [String]) -> String { "[" + items.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
}

/// Unknown paths get WB's 404 "path not found" problem body.
struct NotFoundMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            return FakeWBServer.json(.notFound, FixtureTemplates.error404)
        }
    }
}

extension ISO8601DateFormatter {
    /// `2025-09-22T11:19:05+03:00`.
    static var msk: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(secondsFromGMT: 3 * 3600)
        return formatter
    }
}

extension FakeWBServer {
    /// Serves `state` on a free port of `host` for the duration of `body`, which gets the base URL.
    public static func withRunning<T: Sendable>(
        state: FakeWBState,
        host: String = "127.0.0.1",
        logger: Logger,
        _ body: @Sendable (String) async throws -> T
    ) async throws -> T {
        try await LocalServing.withRunning(name: "the fake WB", host: host, logger: logger, body) { onRunning in
            application(state: state, host: host, port: 0, logger: logger, onRunning: onRunning)
        }
    }
}

/// Runs a local stand-in server on a free port for the duration of a body, then stops it gracefully.
enum LocalServing {
    /// Starts the service `makeApp` builds (it reports its bound port through the closure it is given), waits up to
    /// 10 s for it to listen, runs `body` with `http://host:port`, and stops the service — not cancelled: a cancelled
    /// server logs its child channels' CancellationError as errors.
    static func withRunning<T: Sendable>(
        name: String,
        host: String,
        logger: Logger,
        _ body: @Sendable (String) async throws -> T,
        makeApp: (@escaping @Sendable (Int) async -> Void) -> any Service
    ) async throws -> T {
        let port = Mutex<Int?>(nil)
        let app = makeApp { bound in port.withLock { $0 = bound } }
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            do {
                let deadline = ContinuousClock.now + .seconds(10)
                while port.withLock({ $0 }) == nil {
                    guard ContinuousClock.now < deadline else { throw FakeWBError("\(name) did not start listening within 10 s") }
                    try await Task.sleep(for: .milliseconds(10))
                }
                let result = try await body("http://\(host):\(port.withLock { $0 }!)")
                await services.triggerGracefulShutdown()
                try await group.waitForAll()
                return result
            } catch {
                await services.triggerGracefulShutdown()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

/// The fake WB could not do what was asked (it says what).
public struct FakeWBError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
