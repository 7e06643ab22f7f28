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
/// upload on `discounts-prices`, a realization-report Excel export on `seller-weekly-report`, an undeclared data
/// endpoint, and an anti-bot script on `antibot`. Logins follow §4.2 (``FakePortalAuth``): `slide-v3` and its
/// confirmation, the access JWT accepted by age, the 300 s LK token, `validate`; data requests without a live session
/// get 401. Faults (slow, 5xx, truncated bodies, an unreadable encoding, 401) are injected per path.
public final class FakeWBPortal: Sendable {
    /// How the fake's logins behave.
    public struct Settings: Sendable {
        /// The `wbx-refresh` cookie a device seen for the first time logs in with.
        public var seedRefresh: String
        /// How long an access JWT is accepted after its issue (it has no `exp`; WB's clients refresh by age).
        public var accessLifetime: Duration
        /// How long an LK token lives (WB: 300 s).
        public var lkLifetime: Duration

        public init(seedRefresh: String = "demo-refresh", accessLifetime: Duration = .seconds(1800), lkLifetime: Duration = .seconds(300)) {
            self.seedRefresh = seedRefresh
            self.accessLifetime = accessLifetime
            self.lkLifetime = lkLifetime
        }
    }

    /// A fault the next matching requests get instead of their answer.
    public enum Fault: String, Sendable, CaseIterable {
        /// 500 with a text body.
        case serverError = "500"
        /// The answer after ``slowDelay``.
        case slow
        /// The first half of the body.
        case truncate
        /// The body labelled `Content-Encoding: br` (which it is not).
        case encoding
        /// 401, as WB answers an expired session.
        case unauthorized = "401"
    }

    /// The demo seller's articles (the fixtures' nmIds).
    public static let articles: [(nmId: Int64, vendorCode: String, title: String)] = [
        (178_231_456, "KR-PLAT-01", "Платье"), (209_455_871, "KR-SWT-22", "Свитер"), (231_906_114, "KR-BAG-07", "Сумка"),
    ]
    /// The demo seller's supplier id (`x-supplier-id-external`).
    public static let supplierID = "3f1b6c2e-0000-4000-8000-000000000001"
    /// The anti-bot script, byte for byte (a proxy must not change a byte of it).
    public static let antibotScript = "/*wb-antibot*/(function(){var h='https://seller.wildberries.ru';window.__wbab=h.length+7;})();"
    /// The shell's script: renders the cards list (fetched from a host name it builds at run time, which only a
    /// proxy's run-time routing can fold), asks for the sellers list (JSON-RPC), beacons to analytics.
    static let appScript = """
        (function () {
          var app = document.getElementById("app");
          var contentHost = "seller-" + "content.wildberries.ru";
          fetch("https://" + contentHost + "/ns/viewer/content-card/viewer/tableListv6", {
            method: "POST", headers: {"Content-Type": "application/json"}, body: "{}", credentials: "include"
          }).then(function (r) { return r.json(); }).then(function (body) {
            var list = document.createElement("ul");
            list.id = "cards";
            (body.data.cards || []).forEach(function (card) {
              var item = document.createElement("li");
              item.className = "card";
              item.textContent = card.nmID + " " + card.title;
              if (card.photos && card.photos.length) {
                var photo = new Image();
                photo.className = "photo";
                photo.alt = card.title;
                photo.src = card.photos[0].big;
                item.appendChild(photo);
              }
              list.appendChild(item);
            });
            app.appendChild(list);
            document.body.setAttribute("data-cards", "ready");
          }).catch(function (e) { document.body.setAttribute("data-cards", "error " + e); });
          var xhr = new XMLHttpRequest();
          xhr.open("POST", "https://seller.wildberries.ru/ns/suppliers/suppliers-portal-core/suppliers");
          xhr.setRequestHeader("Content-Type", "application/json");
          xhr.onload = function () { document.body.setAttribute("data-suppliers", String(xhr.status)); };
          xhr.send('[{"method":"getUserSuppliers","params":{},"id":"json-rpc_3","jsonrpc":"2.0"}]');
          // Every data section the shell shows: the nmIds each answered with go into a data-* attribute.
          function ids(value, out) {
            if (Array.isArray(value)) { value.forEach(function (v) { ids(v, out); }); }
            else if (value && typeof value === "object") {
              Object.keys(value).forEach(function (k) {
                if (/^nm_?id$/i.test(k)) out.push(String(value[k])); else ids(value[k], out);
              });
            }
            return out;
          }
          function section(name, url, options) {
            fetch(url, options || {credentials: "include"}).then(function (r) { return r.json(); }).then(function (body) {
              document.body.setAttribute("data-" + name, ids(body, []).join(",") || "none");
            }).catch(function (e) { document.body.setAttribute("data-" + name, "error " + e); });
          }
          var post = {method: "POST", headers: {"Content-Type": "application/json"}, credentials: "include"};
          section("prices", "https://discounts-prices.wildberries.ru/ns/dp-api/discounts-prices/suppliers/api/v1/list/goods/filter");
          section("funnel", "https://seller-content.wildberries.ru/ns/analytics-api/content-analytics/api/v2/product/search-report/table",
                  Object.assign({body: "{}"}, post));
          section("stocks", "https://seller-weekly-report.wildberries.ru/ns/shifts/analytics-back/api/v1/stocks");
          section("feedbacks", "https://seller-communications.wildberries.ru/ns/feedbacks/suppliers-portal-feedbacks/api/v1/feedbacks");
          section("drafts", "https://seller-supply.wildberries.ru/ns/sm-draft/supply-manager/api/v1/draft/listDrafts",
                  Object.assign({body: '{"jsonrpc":"2.0","id":"json-rpc_5","method":"listDrafts","params":{}}'}, post));
          fetch("https://seller-weekly-report.wildberries.ru/ns/realization-reports/suppliers-portal-analytics/api/v1/balance", {credentials: "include"})
            .then(function (r) { return r.json(); })
            .then(function (body) { document.body.setAttribute("data-balance", String(body.data.balance)); })
            .catch(function (e) { document.body.setAttribute("data-balance", "error " + e); });
          // The anti-bot script computes its check from its own text: a proxy that changed a byte breaks it.
          document.body.setAttribute("data-antibot", window.__wbab === 36 ? "ok" : "broken " + window.__wbab);
          section("questions", "https://seller-communications.wildberries.ru/ns/questions/suppliers-portal-questions/api/v1/questions");
          if (navigator.sendBeacon) navigator.sendBeacon("https://a" + ".wb.ru/collect", "{}");
        })();
        """
    /// The ads SPA's script: lists the campaigns.
    static let cmpScript = """
        document.addEventListener("DOMContentLoaded", function () {
          fetch("https://cmp.wildberries.ru/api/v5/adv/campaigns", {credentials: "include"})
            .then(function (r) { return r.json(); }).then(function (body) {
              var box = document.getElementById("campaigns");
              (body.adverts || []).forEach(function (advert) {
                var item = document.createElement("div");
                item.className = "campaign";
                item.textContent = advert.advertId + " " + advert.name + " " + advert.nm_settings.map(function (n) { return n.nm_id; }).join(",");
                box.appendChild(item);
              });
              document.body.setAttribute("data-campaigns", "ready");
            }).catch(function (e) { document.body.setAttribute("data-campaigns", "error " + e); });
        });
        """
    /// A card photo's URL on its basket host (`/vol{nm/100000}/part{nm/1000}/{nm}/images/big/1.webp`).
    public static func photo(_ nm: Int64) -> String {
        "https://basket-01.wbbasket.ru/vol\(nm / 100_000)/part\(nm / 1000)/\(nm)/images/big/1.webp"
    }

    /// The SPA bundle's hashed path and content (≈ 200 KB of script naming WB hosts by absolute URL).
    public static let bundleHash = "3f9a2c71"
    public static let bundlePath = "/static/js/main.\(bundleHash).js"
    static let bundle: String = (0..<2000).map { index in
        #"function m\#(index)(a){return fetch("https://seller-content.wildberries.ru/ns/viewer/content-card/viewer/tableListv6?p=\#(index)",{method:"POST"}).then(function(r){return r.json()})}"#
            + "\n"
    }.joined()
    /// A public reference list of ≈ 250 countries (JSON).
    static let countries: String =
        #"{"data":["#
        + (0..<250).map { #"{"code":"C\#($0)","name":"Страна \#($0)","flag":"https://seller-services.wildberries.ru/static/flags/\#($0).svg"}"# }
        .joined(separator: ",") + "]}"
    /// How long a `slow` fault stalls.
    public static let slowDelay: Duration = .seconds(3)

    public let settings: Settings
    private let state: Mutex<(auth: FakePortalAuth, seen: [String], faults: [(path: String, fault: Fault)])>

    public init(settings: Settings = Settings()) {
        self.settings = settings
        state = Mutex(
            (FakePortalAuth(seedRefresh: settings.seedRefresh, accessLifetime: settings.accessLifetime, lkLifetime: settings.lkLifetime), [], [])
        )
    }

    /// `host path` of every request received, in order.
    public var requests: [String] { state.withLock { $0.seen } }
    /// Every cookie value and token the fake handed out.
    public var issuedSecrets: [String] { state.withLock { $0.auth.issued } }
    /// How many `slide-v3` refreshes were granted.
    public var slides: Int { state.withLock { $0.auth.slides } }
    /// How many LK tokens were issued.
    public var lkTokensIssued: Int { state.withLock { $0.auth.lkIssued } }

    /// The next `count` requests whose path starts with `path` get `fault`.
    public func inject(_ fault: Fault, path: String, count: Int = 1) {
        state.withLock { $0.faults += Array(repeating: (path, fault), count: count) }
    }

    /// Ends every session: tokens and refresh cookies stop working (what WB does after suspicious activity).
    public func endSessions() { state.withLock { $0.auth.endAll() } }

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

    func respond(_ request: Request, body: ByteBuffer) async -> Response {
        let host = (request.head.authority ?? "").split(separator: ":").first.map(String.init) ?? ""
        let path = request.uri.path
        let fault: Fault? = state.withLock { state in
            state.seen.append("\(host) \(path)")
            guard let index = state.faults.firstIndex(where: { path.hasPrefix($0.path) }) else { return nil }
            return state.faults.remove(at: index).fault
        }
        if path.hasPrefix("/__fake__/") { return control(request).response }
        switch fault {
        case .serverError?: return Self.text("Internal Server Error", type: "text/plain", status: .internalServerError).response
        case .unauthorized?: return Self.unauthorized("fault injected").response
        case .slow?: try? await Task.sleep(for: Self.slowDelay)
        default: break
        }
        var reply = answer(request, host: host, path: path, body: body)
        switch fault {
        case .truncate?: reply.body.moveWriterIndex(to: reply.body.readerIndex + reply.body.readableBytes / 2)
        case .encoding?: reply.headers[.contentEncoding] = "br"
        default: break
        }
        return Response(status: reply.status, headers: reply.headers, body: .init(byteBuffer: reply.body))
    }

    /// An answer before faults change it.
    struct Reply {
        var status: HTTPResponse.Status
        var headers: HTTPFields
        var body: ByteBuffer
    }

    func answer(_ request: Request, host: String, path: String, body: ByteBuffer) -> Reply {
        let cookies = Self.cookies(request.headers[.cookie] ?? "")
        let accessToken = request.headers[HTTPField.Name("authorizev3")!]
        let check = state.withLock {
            $0.auth.check(accessToken: accessToken, lkToken: request.headers[HTTPField.Name("wb-seller-lk")!], cookies: cookies)
        }
        let authorized = check == .ok
        switch (host, request.method, path) {
        case ("seller-auth.wildberries.ru", .post, "/auth/v2/auth/slide-v3"):
            let slid = state.withLock { $0.auth.slide(refresh: cookies["wbx-refresh"], device: cookies["wbx-seller-device-id"]) }
            switch slid {
            case .failure(let failure): return Self.unauthorized(failure.reason)
            case .success(let (token, sticker, refresh, validationKey)):
                var response = Self.json(#"{"payload":{"access_token":"\#(token)","sticker":"\#(sticker)"}}"#)
                response.headers[values: .setCookie] = [
                    "wbx-refresh=\(refresh); Domain=.seller-auth.wildberries.ru; Path=/; HttpOnly; Secure",
                    "wbx-validation-key=\(validationKey); Domain=.wildberries.ru; Path=/; HttpOnly; Secure",
                ]
                return response
            }
        case ("seller-auth.wildberries.ru", .post, "/auth/v2/auth/slide-v3-confirm"):
            let sticker = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["sticker"] as? String
            return state.withLock { $0.auth.confirm(sticker: sticker) } ? Self.json(#"{"result":{}}"#) : Self.unauthorized("unknown sticker")
        case ("seller.wildberries.ru", .post, "/ns/suppliers-auth/suppliers-portal-core/auth/token"):
            switch state.withLock({ $0.auth.issueLK(accessToken: accessToken, cookies: cookies) }) {
            case .failure(let failure): return Self.unauthorized(failure.reason)
            case .success(let (token, expires)):
                return Self.json(#"{"jsonrpc":"2.0","id":"json-rpc_1","result":{"data":{"token":"\#(token)","userID":26949727,"exp":\#(expires)}}}"#)
            }
        case ("seller.wildberries.ru", _, "/ns/passport-portal/suppliers-portal-ru/validate"):
            let valid = state.withLock { if case .success = $0.auth.session(accessToken: accessToken, cookies: cookies) { true } else { false } }
            return valid ? Self.json(#"{"result":{"valid":true}}"#) : Self.unauthorized("session not valid")
        case ("seller.wildberries.ru", .get, "/"):
            return Self.text(
                """
                <!doctype html><html><head><meta charset="utf-8"><title>WB Partners</title>
                <script src="https://seller.wildberries.ru/static/app.js" defer></script>
                <script src="https://seller.wildberries.ru\(Self.bundlePath)" defer></script>
                <link rel="stylesheet" href="//seller-services.wildberries.ru/static/app.css">
                <script src="https://antibot.wildberries.ru/challenge.js"></script></head>
                <body><div id="app"></div><a href="https://cmp.wildberries.ru/campaigns/list/active">ads</a></body></html>
                """,
                type: "text/html; charset=utf-8"
            )
        case ("seller.wildberries.ru", .get, "/static/app.js"):
            return Self.text(Self.appScript, type: "application/javascript")
        case ("cmp.wildberries.ru", .get, "/campaigns/list/active"):
            return Self.text(
                """
                <!doctype html><html><head><meta charset="utf-8"><title>ВБ.Продвижение</title>
                <script src="https://cmp.wildberries.ru/lk-assets/cmp.js"></script></head>
                <body><div id="campaigns"></div><a id="home" href="https://seller.wildberries.ru/">home</a></body></html>
                """,
                type: "text/html; charset=utf-8"
            )
        case ("cmp.wildberries.ru", .get, "/lk-assets/cmp.js"):
            return Self.text(Self.cmpScript, type: "application/javascript")
        case ("cmp.wildberries.ru", .get, "/api/v5/adv/campaigns"):
            guard authorized else { return Self.unauthorized(check) }
            return Self.json(
                #"{"adverts":[{"advertId":501,"name":"Платья","nm_settings":[{"nm_id":178231456}]},{"advertId":502,"name":"Свитеры","nm_settings":[{"nm_id":209455871}]},{"advertId":503,"name":"Всё","nm_settings":[{"nm_id":231906114},{"nm_id":178231456}]}],"total":3}"#
            )
        case ("seller.wildberries.ru", .get, Self.bundlePath):
            // The SPA's hashed bundle: immutable, revalidated by its ETag.
            let etag = "\"\(Self.bundleHash)\""
            let headers: HTTPFields = [.contentType: "application/javascript", .cacheControl: "public, max-age=31536000, immutable", .eTag: etag]
            if request.headers[.ifNoneMatch] == etag { return Reply(status: .notModified, headers: headers, body: ByteBuffer()) }
            return Reply(status: .ok, headers: headers, body: ByteBuffer(string: Self.bundle))
        case (let basket, .get, _) where basket.hasPrefix("basket-") && basket.hasSuffix(".wbbasket.ru") && path.hasSuffix(".webp"):
            // A card photo (public, cached by browsers and proxies).
            return Reply(
                status: .ok,
                headers: [.contentType: "image/webp", .cacheControl: "public, max-age=86400"],
                body: ByteBuffer(bytes: Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8))
            )
        case ("seller-services.wildberries.ru", .get, "/ns/reference/countries"):
            // A public reference list (no article data, no session needed).
            return Self.json(Self.countries)
        case ("antibot.wildberries.ru", .get, "/challenge.js"):
            return Self.text(Self.antibotScript, type: "application/javascript")
        case ("seller.wildberries.ru", .post, "/ns/suppliers/suppliers-portal-core/suppliers"):
            guard authorized else { return Self.unauthorized(check) }
            return Self.json(
                #"[{"jsonrpc":"2.0","id":"json-rpc_3","result":{"suppliers":[{"id":"\#(Self.supplierID)","oldID":1,"name":"Кристалл"}]}}]"#
            )
        case ("seller-content.wildberries.ru", .post, "/ns/viewer/content-card/viewer/tableListv6"):
            guard authorized else { return Self.unauthorized(check) }
            let cards = Self.articles.map {
                #"{"nmID":\#($0.nmId),"vendorCode":"\#($0.vendorCode)","title":"\#($0.title)","photos":[{"big":"\#(Self.photo($0.nmId))"}]}"#
            }
            var response = Self.json(
                #"{"data":{"cards":[\#(cards.joined(separator: ","))],"cursor":{"updatedAt":"2026-12-01T10:00:00Z","nmID":\#(Self.articles.last!.nmId),"total":\#(cards.count)}},"error":false,"errorText":"","additionalErrors":null}"#
            )
            // The anti-bot cookie rotates, as WB's does.
            response.headers[values: .setCookie] = ["cfidsw-wb=\(FakePortalAuth.random()); Domain=.wildberries.ru; Path=/"]
            return response
        case ("seller-weekly-report.wildberries.ru", .get, "/ns/realization-reports/suppliers-portal-analytics/api/v1/reports/export"):
            guard authorized else { return Self.unauthorized(check) }
            var writer = XLSXWriter()
            let rows: [[CellValue]] =
                [[.text("Отчёт о реализации")], [.text("Артикул WB"), .text("Артикул продавца"), .text("Продано, шт")]]
                + Self.articles.enumerated().map { index, article in [.integer(article.nmId), .text(article.vendorCode), .integer(Int64(index + 2))] }
            writer.addSheet(name: "Отчёт", rows: rows)
            guard let data = try? writer.data() else {
                return Self.text("cannot write the workbook", type: "text/plain", status: .internalServerError)
            }
            return Reply(
                status: .ok,
                headers: [
                    .contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    .contentDisposition: "attachment; filename=\"report.xlsx\"",
                ],
                body: ByteBuffer(bytes: data)
            )
        case ("discounts-prices.wildberries.ru", .get, "/ns/dp-api/discounts-prices/suppliers/api/v1/list/goods/filter"):
            guard authorized else { return Self.unauthorized(check) }
            let goods = Self.articles.enumerated().map {
                #"{"nmID":\#($1.nmId),"vendorCode":"\#($1.vendorCode)","sizes":[{"price":\#(1000 + $0 * 500),"discountedPrice":\#(900 + $0 * 450)}]}"#
            }
            return Self.json(#"{"data":{"listGoods":[\#(goods.joined(separator: ","))]},"error":false}"#)
        case ("seller-content.wildberries.ru", .post, "/ns/analytics-api/content-analytics/api/v2/product/search-report/table"):
            guard authorized else { return Self.unauthorized(check) }
            let products = Self.articles.enumerated().map {
                #"{"product":{"nmId":\#($1.nmId),"title":"\#($1.title)"},"statistic":{"selected":{"openCard":\#(100 * ($0 + 1)),"addToCart":\#(10 * ($0 + 1)),"orderCount":\#($0 + 1)}}}"#
            }
            return Self.json(#"{"data":{"products":[\#(products.joined(separator: ","))],"total":\#(products.count)},"error":false}"#)
        case ("seller-weekly-report.wildberries.ru", .get, "/ns/shifts/analytics-back/api/v1/stocks"):
            guard authorized else { return Self.unauthorized(check) }
            let stocks = Self.articles.enumerated().map { #"{"nmId":"\#($1.nmId)","warehouse":"Коледино","quantity":\#(5 + $0)}"# }
            return Self.json(#"{"data":[\#(stocks.joined(separator: ","))],"error":false}"#)
        case ("seller-communications.wildberries.ru", .get, "/ns/feedbacks/suppliers-portal-feedbacks/api/v1/feedbacks"):
            guard authorized else { return Self.unauthorized(check) }
            let feedbacks = Self.articles.enumerated().map {
                #"{"id":"fb-\#($0)","text":"Отзыв \#($0)","productValuation":5,"productDetails":{"nmId":\#($1.nmId),"productName":"\#($1.title)"}}"#
            }
            return Self.json(#"{"data":{"feedbacks":[\#(feedbacks.joined(separator: ","))],"countUnanswered":\#(feedbacks.count)},"error":false}"#)
        case ("seller-communications.wildberries.ru", .get, "/ns/questions/suppliers-portal-questions/api/v1/questions"):
            guard authorized else { return Self.unauthorized(check) }
            let questions = Self.articles.enumerated().map {
                #"{"id":"q-\#($0)","text":"Вопрос \#($0)","productDetails":{"nmId":\#($1.nmId),"productName":"\#($1.title)"}}"#
            }
            return Self.json(#"{"data":{"questions":[\#(questions.joined(separator: ","))],"countUnanswered":\#(questions.count)},"error":false}"#)
        case ("cmp.wildberries.ru", .post, "/api/v5/adv/budget"):
            guard authorized else { return Self.unauthorized(check) }
            return Self.json(#"{"ok":true}"#)
        case ("seller-supply.wildberries.ru", .post, "/ns/sm-draft/supply-manager/api/v1/draft/listDrafts"):
            guard authorized else { return Self.unauthorized(check) }
            let drafts = Self.articles.enumerated().map { #"{"draftId":"d-\#($0)","goods":[{"nmId":\#($1.nmId),"quantity":\#(10 * ($0 + 1))}]}"# }
            return Self.json(#"{"jsonrpc":"2.0","id":"json-rpc_5","result":{"drafts":[\#(drafts.joined(separator: ","))],"total":\#(drafts.count)}}"#)
        case ("seller-supply.wildberries.ru", .post, "/ns/sm-draft/supply-manager/api/v1/draft/create"):
            guard authorized else { return Self.unauthorized(check) }
            return Self.json(#"{"jsonrpc":"2.0","id":"json-rpc_6","result":{"draftId":"d-new"}}"#)
        case ("discounts-prices.wildberries.ru", .post, "/ns/prices/upload"):
            guard authorized else { return Self.unauthorized(check) }
            return Self.json(#"{"data":{"uploaded":true},"error":false}"#)
        case ("seller.wildberries.ru", .post, "/ns/undeclared/data"):
            return Self.json(#"{"data":[{"nmId":209455871,"secret":"other manager's figures"}]}"#)
        default:
            return Self.text("not found", type: "text/plain", status: .notFound)
        }
    }

    /// `POST /__fake__/fault?kind=500|slow|truncate|encoding|401&path=/ns/…&count=1` and `POST /__fake__/end-sessions`,
    /// on any host (for runs of `joycity fake-wb-portal`; tests call ``inject(_:path:count:)`` directly).
    func control(_ request: Request) -> Reply {
        switch request.uri.path {
        case "/__fake__/end-sessions":
            endSessions()
            return Self.json(#"{"ended":true}"#)
        case "/__fake__/fault":
            let query = request.uri.queryParameters
            guard let kind = query["kind"].flatMap({ Fault(rawValue: String($0)) }) else {
                return Self.text(
                    #"{"error":"kind must be one of 500, slow, truncate, encoding, 401"}"#,
                    type: "application/json",
                    status: .badRequest
                )
            }
            inject(kind, path: query["path"].map(String.init) ?? "/", count: query["count"].flatMap { Int(String($0)) } ?? 1)
            return Self.json(#"{"injected":true}"#)
        default:
            return Self.text("not found", type: "text/plain", status: .notFound)
        }
    }

    /// `name=value; …` as a dictionary (the last of a repeated name wins).
    static func cookies(_ header: String) -> [String: String] {
        var cookies: [String: String] = [:]
        for pair in header.split(separator: ";") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            cookies[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        return cookies
    }

    static func text(_ body: String, type: String, status: HTTPResponse.Status = .ok) -> Reply {
        Reply(status: status, headers: [.contentType: type], body: ByteBuffer(string: body))
    }

    static func json(_ body: String) -> Reply { text(body, type: "application/json; charset=utf-8") }

    static func unauthorized(_ reason: String) -> Reply {
        text(#"{"error":true,"errorText":"unauthorized: \#(reason)"}"#, type: "application/json", status: .unauthorized)
    }

    static func unauthorized(_ check: FakePortalAuth.Check) -> Reply {
        if case .unauthorized(let reason) = check { return unauthorized(reason) }
        return unauthorized("")
    }

    /// Serves the portal on a free port of 127.0.0.1 for the duration of `body`, which gets the base URL.
    public func withRunning<T: Sendable>(logger: Logger, _ body: @Sendable (String) async throws -> T) async throws -> T {
        try await LocalServing.withRunning(name: "the fake WB portal", host: "127.0.0.1", logger: logger, body) { onRunning in
            application(host: "127.0.0.1", port: 0, logger: logger, onRunning: onRunning)
        }
    }
}

extension FakeWBPortal.Reply {
    var response: Response { Response(status: status, headers: headers, body: .init(byteBuffer: body)) }
}

/// Answers every request from ``FakeWBPortal/respond(_:body:)`` (bodies up to 1 MiB are read).
struct PortalMiddleware<Context: RequestContext>: RouterMiddleware {
    let portal: FakeWBPortal

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        let body = try await request.collectBody(upTo: 1 << 20)
        return await portal.respond(request, body: body)
    }
}

extension FakeWBPortal.Settings {
    /// From `FAKE_WB_PORTAL_REFRESH` (default `demo-refresh`), `FAKE_WB_PORTAL_ACCESS_LIFETIME` (default `30m`) and
    /// `FAKE_WB_PORTAL_LK_LIFETIME` (default `300s`).
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(environment env: EnvironmentReader) throws {
        self.init()
        seedRefresh = env.string("FAKE_WB_PORTAL_REFRESH", default: seedRefresh)
        accessLifetime = try env.duration("FAKE_WB_PORTAL_ACCESS_LIFETIME", default: accessLifetime, defaultUnit: .seconds)
        lkLifetime = try env.duration("FAKE_WB_PORTAL_LK_LIFETIME", default: lkLifetime, defaultUnit: .seconds)
    }
}
