import Assignments
import AsyncHTTPClient
import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import ProxyEdge
import ServiceLifecycle
import Spreadsheet
import Synchronization
import Testing

/// The proxy edge end to end: a manager's session cookie, the fake portal behind it (host-routed), the API beside it.
@Suite("proxy edge: sessions, one origin, the article filter, server-side WB cookies, deny by default", .serialized)
struct ProxyEdgeFlowTests {
    typealias Reply = ProxyHarness.Reply
    static let client = ProxyHarness.client
    /// Everything the browser got, to look for WB's secrets in at the end.
    static let seen = Mutex<[Reply]>([])

    static func call(
        _ base: String,
        _ method: HTTPMethod,
        _ path: String,
        cookie: String?,
        accept: String = "application/json",
        json: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> Reply {
        let reply = try await ProxyHarness.call(base, method, path, cookie: cookie, accept: accept, json: json, headers: headers)
        seen.withLock { $0.append(reply) }
        return reply
    }

    @Test(
        "a manager sees only this month's articles, the browser never leaves the origin nor sees WB's cookies; unknown and foreign changes never reach WB"
    )
    func endToEnd() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let accountID = try await api.account(admin, name: "Кристалл")
            let credentials =
                #"{"login":"+79990000000","password":"portal-pass","cookies":"wbx-refresh=demo-refresh; wbx-seller-device-id=d1; x-supplier-id-external=\#(FakeWBPortal.supplierID)"}"#
            #expect(try await api.call(.PUT, "/api/accounts/\(accountID)/portal-credentials", token: admin.token, json: credentials).status == 204)
            let anna = try await api.user("anna", [.manager], accountID: accountID)
            let month = "/api/accounts/\(accountID)/assignments/\(AssignmentConfiguration().currentMonth())/users/\(anna.userID)"
            #expect(
                try await api.call(.PUT, month, token: admin.token, json: #"{"nmIds":[178231456],"force":true,"comment":"proxy test"}"#).status == 200
            )

            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal) { _, bases in
                try await Self.checks(api: api, admin: admin, anna: anna, month: month, portal: portal, base: bases[0])
            }
        }
    }

    static func checks(
        api: APIHarness,
        admin: APIHarness.Session,
        anna: APIHarness.Session,
        month: String,
        portal: FakeWBPortal,
        base: String
    )
        async throws
    {
        #expect(try await Self.call(base, .GET, "/__joycity__/health", cookie: nil).status == 200)

        // No session: a page goes to the sign-in and back; an XHR gets 401.
        let anonymous = try await Self.call(base, .GET, "/stock-control?x=1", cookie: nil, accept: "text/html")
        #expect(anonymous.status == 302)
        #expect(anonymous.headers.first(name: "Location")?.hasPrefix("https://app.example.test/signin?next=http%3A%2F%2F127%2E0%2E0%2E1%3A") == true)
        #expect(anonymous.headers.first(name: "Location")?.contains("%2Fstock%2Dcontrol%3Fx%3D1") == true)
        #expect(try await Self.call(base, .POST, "/__content__/ns/viewer/content-card/viewer/tableListv6", cookie: nil, json: "{}").status == 401)
        #expect(try await Self.call(base, .GET, "/", cookie: "forged.token.here", accept: "text/html").status == 302)

        // One origin: every WB URL of the shell and its script points back at the proxy.
        let shell = try await Self.call(base, .GET, "/", cookie: anna.token, accept: "text/html")
        #expect(shell.status == 200 && !shell.text.contains("wildberries.ru"), "\(shell.text)")
        let html = shell.text
        let rewritten = html.contains("src=\"/static/app.js\"") && html.contains("href=\"/__services__/static/app.css\"")
        #expect(rewritten, "\(html)")
        #expect(shell.text.contains("/__cmp__/campaigns/list/active"))
        // The routing script comes first in <head>, and the page is held to this origin.
        #expect(html.contains(#"<head><script src="/__joycity__/portal.js"></script>"#), "\(html)")
        let policies = shell.headers["Content-Security-Policy"]
        #expect(policies.contains { $0.contains("default-src 'self'") && $0.contains("connect-src 'self'") }, "\(policies)")
        let routing = try await Self.call(base, .GET, "/__joycity__/portal.js", cookie: nil)
        #expect(routing.status == 200 && routing.text.contains(#""seller-content.wildberries.ru":"/__content__""#))
        let script = try await Self.call(base, .GET, "/static/app.js", cookie: anna.token)
        let js = script.text
        let scriptRewritten =
            js.contains(#"xhr.open("POST", "/ns/suppliers/suppliers-portal-core/suppliers")"#) && !js.contains("https://seller.wildberries.ru")
        #expect(scriptRewritten, "\(js)")
        #expect(try await Self.call(base, .POST, "/__dropped__/a.wb.ru/collect", cookie: anna.token).status == 204)
        // The SPA's hashed bundle: rewritten once, then from memory; the browser's copy revalidates to 304.
        let bundle = try await Self.call(base, .GET, FakeWBPortal.bundlePath, cookie: anna.token)
        #expect(bundle.status == 200 && bundle.text.count > 100_000 && !bundle.text.contains("wildberries.ru"))
        let again = try await Self.call(base, .GET, FakeWBPortal.bundlePath, cookie: anna.token)
        #expect(again.text == bundle.text && portal.requests.filter { $0.hasSuffix(FakeWBPortal.bundlePath) }.count == 1)
        let etag = bundle.headers.first(name: "ETag") ?? ""
        #expect(try await Self.call(base, .GET, FakeWBPortal.bundlePath, cookie: anna.token, headers: [("If-None-Match", etag)]).status == 304)
        // Without a session the cache serves nothing.
        #expect(try await Self.call(base, .GET, FakeWBPortal.bundlePath, cookie: nil).status == 401)
        // The anti-bot script passes byte for byte.
        #expect(try await Self.call(base, .GET, "/__antibot__/challenge.js", cookie: anna.token).text == FakeWBPortal.antibotScript)

        // The cards: only Anna's, the total agrees, the cursor is sealed, WB's rotated cookie stays here.
        let cards = try await Self.call(base, .POST, "/__content__/ns/viewer/content-card/viewer/tableListv6", cookie: anna.token, json: "{}")
        #expect(cards.status == 200, "\(cards.text)")
        #expect(cards.text.contains("178231456") && !cards.text.contains("209455871") && !cards.text.contains("231906114"), "\(cards.text)")
        let body = cards.text
        let counted = body.contains("\"total\":1") && body.contains("\"nmID\":\"nmc:")
        #expect(counted, "\(body)")
        #expect(cards.headers["Set-Cookie"].isEmpty)
        #expect(cards.headers.first(name: "X-Request-Id")?.isEmpty == false)

        // Her card's photo is on the origin and passes; another manager's never reaches WB.
        #expect(cards.text.contains("\"/__basket__/01/vol1782/part178231/178231456/images/big/1.webp\""), "\(cards.text)")
        #expect(try await Self.call(base, .GET, "/__basket__/01/vol1782/part178231/178231456/images/big/1.webp", cookie: anna.token).status == 200)
        #expect(try await Self.call(base, .GET, "/__basket__/01/vol2094/part209455/209455871/images/big/1.webp", cookie: anna.token).status == 403)
        #expect(!portal.requests.contains { $0.contains("209455871") })

        // The sellers list (JSON-RPC, no article data) passes; the supplier id it names is not a secret.
        let suppliers = try await Self.call(
            base,
            .POST,
            "/ns/suppliers/suppliers-portal-core/suppliers",
            cookie: anna.token,
            json: #"[{"method":"getUserSuppliers","params":{},"id":"json-rpc_3","jsonrpc":"2.0"}]"#
        )
        #expect(suppliers.status == 200 && suppliers.text.contains(FakeWBPortal.supplierID), "\(suppliers.text)")

        // An Excel export: only her rows, the title and header rows kept.
        var export = HTTPClientRequest(url: base + "/__weekly__/ns/realization-reports/suppliers-portal-analytics/api/v1/reports/export")
        export.headers.add(name: "Cookie", value: "joycity_access=\(anna.token)")
        let exported = try await client.execute(export, timeout: .seconds(30))
        #expect(exported.status.code == 200 && exported.headers.first(name: "Content-Disposition")?.contains("report.xlsx") == true)
        var sheet: [[String]] = []
        try XLSXReader(data: Data(try await exported.body.collect(upTo: 1 << 20).readableBytesView)).readRows {
            sheet.append($0.cells.map { $0?.text ?? "" })
        }
        #expect(sheet.map(\.first) == ["Отчёт о реализации", "Артикул WB", "178231456"], "\(sheet)")

        // Deny by default: an undeclared endpoint never reaches WB.
        #expect(try await Self.call(base, .POST, "/ns/undeclared/data", cookie: anna.token, json: "{}").status == 403)
        #expect(!portal.requests.contains("seller.wildberries.ru /ns/undeclared/data"))
        // A change naming someone else's article never reaches WB; one naming hers does.
        let foreign = try await Self.call(
            base,
            .POST,
            "/__prices__/ns/prices/upload",
            cookie: anna.token,
            json: #"{"data":[{"nmID":209455871,"price":1}]}"#
        )
        #expect(foreign.status == 403 && portal.requests.filter { $0.hasSuffix("/ns/prices/upload") }.isEmpty)
        let own = try await Self.call(
            base,
            .POST,
            "/__prices__/ns/prices/upload",
            cookie: anna.token,
            json: #"{"data":[{"nmID":178231456,"price":1}]}"#
        )
        #expect(own.status == 200 && portal.requests.filter { $0.hasSuffix("/ns/prices/upload") }.count == 1)

        // A supply draft naming another manager's article never reaches WB; hers does.
        let draft = "/__supply__/ns/sm-draft/supply-manager/api/v1/draft/create"
        let foreignDraft = try await Self.call(
            base,
            .POST,
            draft,
            cookie: anna.token,
            json: #"{"params":{"goods":[{"nmId":231906114,"quantity":5}]}}"#
        )
        #expect(foreignDraft.status == 403 && !portal.requests.contains { $0.hasSuffix("/draft/create") })
        let ownDraft = try await Self.call(base, .POST, draft, cookie: anna.token, json: #"{"params":{"goods":[{"nmId":178231456,"quantity":5}]}}"#)
        #expect(ownDraft.status == 200 && portal.requests.filter { $0.hasSuffix("/draft/create") }.count == 1, "\(ownDraft.text)")
        // A campaign change naming another manager's article never reaches WB either.
        let budget = try await Self.call(
            base,
            .POST,
            "/__cmp__/api/v5/adv/budget",
            cookie: anna.token,
            json: #"{"advertId":502,"nm_id":209455871,"sum":1000}"#
        )
        #expect(budget.status == 403 && !portal.requests.contains { $0.hasSuffix("/adv/budget") })
        // The drafts list keeps hers, its total agrees.
        let drafts = try await Self.call(
            base,
            .POST,
            "/__supply__/ns/sm-draft/supply-manager/api/v1/draft/listDrafts",
            cookie: anna.token,
            json: #"{"jsonrpc":"2.0","id":"json-rpc_5","method":"listDrafts","params":{}}"#
        )
        let draftsFiltered = drafts.text.contains("178231456") && !drafts.text.contains("209455871") && drafts.text.contains("\"total\":1")
        #expect(draftsFiltered, "\(drafts.text)")

        // An assignment change shows within a second.
        #expect(try await api.call(.PUT, month, token: admin.token, json: #"{"nmIds":[231906114],"force":true,"comment":"swap"}"#).status == 200)
        #expect(
            await eventually(timeout: .seconds(1)) {
                let text = try await Self.call(base, .POST, "/__content__/ns/viewer/content-card/viewer/tableListv6", cookie: anna.token, json: "{}")
                    .text
                return text.contains("231906114") && !text.contains("178231456")
            }
        )
        // WB's session stayed in the proxy: no cookie value or token the fake issued reached the browser.
        #expect(portal.slides == 1 && portal.lkTokensIssued == 1)
        #expect(ProxyHarness.leaked(Self.seen.withLock { $0 }, portal).isEmpty)

        // A revoked session stops within a second.
        #expect(try await api.call(.POST, "/api/auth/logout", token: anna.token).status == 204)
        #expect(
            await eventually(timeout: .seconds(1)) {
                try await Self.call(base, .POST, "/__content__/ns/viewer/content-card/viewer/tableListv6", cookie: anna.token, json: "{}").status
                    == 401
            }
        )
    }
}
