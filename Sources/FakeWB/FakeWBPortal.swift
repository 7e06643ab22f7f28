import FleetCore
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Spreadsheet
import Synchronization

/// A stand-in for the WB Seller portal's hosts (../shared/wb/WB-API.md §4), routed by the `Host` header so a proxy's
/// host table is exercised: the SPA shell on `seller.wildberries.ru` whose HTML and JS name the other hosts by
/// absolute URL, the cards table on `seller-content` (JSON with a paging cursor), the sellers list (JSON-RPC), a price
/// upload on `discounts-prices`, a realization-report Excel export on `seller-weekly-report`, an undeclared data endpoint, and an anti-bot script on `antibot`. Data requests need
/// the session cookie `wbx-validation-key` (401 without it) and answer with a rotated one in `Set-Cookie`. First
/// version: the issue lists what it grows into (slide-v3, the LK token, xlsx exports, faults).
public final class FakeWBPortal: Sendable {
    /// The demo seller's articles (the fixtures' nmIds).
    public static let articles: [(nmId: Int64, vendorCode: String, title: String)] = [
        (178_231_456, "KR-PLAT-01", "Платье"), (209_455_871, "KR-SWT-22", "Свитер"), (231_906_114, "KR-BAG-07", "Сумка"),
    ]
    /// The anti-bot script, byte for byte (a proxy must not change a byte of it).
    public static let antibotScript = "/*wb-antibot*/(function(){var h='https://seller.wildberries.ru';window.__wbab=h.length+7;})();"

    /// The session cookie value data requests must carry.
    public let validationKey: String
    private let seen = Mutex<[String]>([])

    public init(validationKey: String) { self.validationKey = validationKey }

    /// `host path` of every request received, in order.
    public var requests: [String] { seen.withLock { $0 } }

    /// The application on `host:port`.
    public func application(host: String, port: Int, logger: Logger, onRunning: (@Sendable (Int) async -> Void)? = nil) -> some ApplicationProtocol {
        let router = Router()
        router.add(middleware: PortalMiddleware(portal: self))
        return Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "fake-wb-portal"),
            onServerRunning: { channel in await onRunning?(channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    func record(_ line: String) { seen.withLock { $0.append(line) } }

    func respond(_ request: Request) -> Response {
        let host = (request.head.authority ?? "").split(separator: ":").first.map(String.init) ?? ""
        let path = request.uri.path
        record("\(host) \(path)")
        let authorized = (request.headers[.cookie] ?? "").contains("wbx-validation-key=\(validationKey)")
        switch (host, request.method, path) {
        case ("seller.wildberries.ru", .get, "/"):
            return Self.text(
                """
                <!doctype html><html><head><meta charset="utf-8"><title>WB Partners</title>
                <script src="https://seller.wildberries.ru/static/app.js"></script>
                <link rel="stylesheet" href="//seller-services.wildberries.ru/static/app.css">
                <script src="https://antibot.wildberries.ru/challenge.js"></script></head>
                <body><div id="app"></div><a href="https://cmp.wildberries.ru/campaigns/list/active">ads</a></body></html>
                """,
                type: "text/html; charset=utf-8"
            )
        case ("seller.wildberries.ru", .get, "/static/app.js"):
            return Self.text(
                #"fetch("https://seller-content.wildberries.ru/ns/viewer/content-card/viewer/tableListv6",{method:"POST",credentials:"include"});navigator.sendBeacon("https://a.wb.ru/collect");"#,
                type: "application/javascript"
            )
        case ("antibot.wildberries.ru", .get, "/challenge.js"):
            return Self.text(Self.antibotScript, type: "application/javascript")
        case ("seller.wildberries.ru", .post, "/ns/suppliers/suppliers-portal-core/suppliers"):
            guard authorized else { return Self.unauthorized() }
            return Self.json(
                #"[{"jsonrpc":"2.0","id":"json-rpc_3","result":{"suppliers":[{"id":"3f1b6c2e-0000-4000-8000-000000000001","oldID":1,"name":"Кристалл"}]}}]"#
            )
        case ("seller-content.wildberries.ru", .post, "/ns/viewer/content-card/viewer/tableListv6"):
            guard authorized else { return Self.unauthorized() }
            let cards = Self.articles.map { #"{"nmID":\#($0.nmId),"vendorCode":"\#($0.vendorCode)","title":"\#($0.title)"}"# }
            var response = Self.json(
                #"{"data":{"cards":[\#(cards.joined(separator: ","))],"cursor":{"updatedAt":"2026-12-01T10:00:00Z","nmID":\#(Self.articles.last!.nmId),"total":\#(cards.count)}},"error":false,"errorText":"","additionalErrors":null}"#
            )
            response.headers[values: .setCookie] = ["wbx-validation-key=rotated-\(UUID().uuidString); Domain=.wildberries.ru; Path=/; HttpOnly"]
            return response
        case ("seller-weekly-report.wildberries.ru", .get, "/ns/realization-reports/suppliers-portal-analytics/api/v1/reports/export"):
            guard authorized else { return Self.unauthorized() }
            var writer = XLSXWriter()
            let rows: [[CellValue]] =
                [[.text("Отчёт о реализации")], [.text("Артикул WB"), .text("Артикул продавца"), .text("Продано, шт")]]
                + Self.articles.enumerated().map { index, article in [.integer(article.nmId), .text(article.vendorCode), .integer(Int64(index + 2))] }
            writer.addSheet(name: "Отчёт", rows: rows)
            guard let data = try? writer.data() else { return Response(status: .internalServerError) }
            return Response(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    .contentDisposition: "attachment; filename=\"report.xlsx\"",
                ],
                body: .init(byteBuffer: ByteBuffer(bytes: data))
            )
        case ("discounts-prices.wildberries.ru", .post, "/ns/prices/upload"):
            guard authorized else { return Self.unauthorized() }
            return Self.json(#"{"data":{"uploaded":true},"error":false}"#)
        case ("seller.wildberries.ru", .post, "/ns/undeclared/data"):
            return Self.json(#"{"data":[{"nmId":209455871,"secret":"other manager's figures"}]}"#)
        default:
            return Response(status: .notFound, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "not found")))
        }
    }

    static func text(_ body: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    static func json(_ body: String) -> Response { text(body, type: "application/json; charset=utf-8") }

    static func unauthorized() -> Response {
        Response(
            status: .unauthorized,
            headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: #"{"error":true,"errorText":"unauthorized"}"#))
        )
    }

    /// Serves the portal on a free port of 127.0.0.1 for the duration of `body`, which gets the base URL.
    public func withRunning<T: Sendable>(logger: Logger, _ body: @Sendable (String) async throws -> T) async throws -> T {
        try await LocalServing.withRunning(name: "the fake WB portal", host: "127.0.0.1", logger: logger, body) { onRunning in
            application(host: "127.0.0.1", port: 0, logger: logger, onRunning: onRunning)
        }
    }
}

/// Answers every request from ``FakeWBPortal/respond(_:)`` (no endpoint of the fake reads a body).
struct PortalMiddleware<Context: RequestContext>: RouterMiddleware {
    let portal: FakeWBPortal

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        portal.respond(request)
    }
}
