import Assignments
import FakeWB
import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import NIOHTTP1
import PostgresNIO
import Prometheus
import Synchronization
import Testing

/// The WB portal session behind the proxy edge: kept alive (slide-v3 by age, the LK token ahead of its end) once
/// across replicas; ended by WB → marked invalid where the API shows it; upstream faults fail closed.
@Suite("proxy edge: the WB portal session kept server-side, renewed once across replicas, invalid when WB ends it; faults fail closed", .serialized)
struct ProxySessionTests {
    typealias Reply = ProxyHarness.Reply

    /// An account with portal cookies for `device` and a manager holding 178231456 this month.
    static func manager(_ api: APIHarness, device: String) async throws -> (admin: APIHarness.Session, account: Int64, manager: APIHarness.Session) {
        let admin = try await api.admin()
        let account = try await api.account(admin, name: "Кристалл")
        try await Self.storeCookies(api, admin, account, device: device)
        let anna = try await api.user("anna", [.manager], accountID: account)
        let month = "/api/accounts/\(account)/assignments/\(AssignmentConfiguration().currentMonth())/users/\(anna.userID)"
        let assigned = try await api.call(
            .PUT,
            month,
            token: admin.token,
            json: #"{"nmIds":[178231456],"force":true,"comment":"proxy session test"}"#
        )
        #expect(assigned.status == 200, "\(assigned.text)")
        return (admin, account, anna)
    }

    static func storeCookies(_ api: APIHarness, _ admin: APIHarness.Session, _ account: Int64, device: String) async throws {
        let cookies = "wbx-refresh=demo-refresh; wbx-seller-device-id=\(device); x-supplier-id-external=\(FakeWBPortal.supplierID)"
        let stored = try await api.call(.PUT, "/api/accounts/\(account)/portal-credentials", token: admin.token, json: #"{"cookies":"\#(cookies)"}"#)
        #expect(stored.status == 204, "\(stored.text)")
    }

    static func portalState(_ api: APIHarness, _ admin: APIHarness.Session, _ account: Int64) async throws -> (String, String) {
        let reply = try await api.call(.GET, "/api/accounts/\(account)", token: admin.token)
        let status = reply.json["portalSession"] as? [String: Any]
        return ((status?["state"] as? String) ?? "?", (status?["reason"] as? String) ?? "")
    }

    static func cards(_ base: String, _ manager: APIHarness.Session) async throws -> Reply {
        try await ProxyHarness.call(base, .POST, ProxyHarness.cards, cookie: manager.token, json: "{}")
    }

    static func onlyAnnas(_ reply: Reply) -> Bool {
        reply.status == 200 && reply.text.contains("178231456") && !reply.text.contains("209455871")
    }

    @Test("two proxy replicas refresh a session once; the access token is refreshed by age and the LK token ahead of its end")
    func singleFlightAndUpkeep() async throws {
        try await APIHarness.run { api in
            let (admin, account, anna) = try await Self.manager(api, device: "supplier-portal__-two-replicas")
            #expect(try await Self.portalState(api, admin, account).0 == "unchecked")
            let portal = FakeWBPortal(settings: .init(accessLifetime: .seconds(6), lkLifetime: .seconds(4)))
            let overrides = ["PROXY_WB_REFRESH_AGE": "3s", "PROXY_WB_LK_MARGIN": "2s"]
            try await ProxyHarness.run(api: api, portal: portal, replicas: 2, overrides: overrides) { _, bases in
                #expect(bases.count == 2)
                // Sixteen requests at once, half on each replica, on a session neither has used: one slide-v3.
                let first = try await withThrowingTaskGroup(of: Reply.self) { group in
                    for index in 0..<16 { group.addTask { try await Self.cards(bases[index % 2], anna) } }
                    return try await group.reduce(into: [Reply]()) { $0.append($1) }
                }
                #expect(first.allSatisfy(Self.onlyAnnas), "\(first.map { "\($0.status) \($0.text.prefix(200))" })")
                #expect(portal.slides == 1 && portal.lkTokensIssued == 1, "slides \(portal.slides), LK tokens \(portal.lkTokensIssued)")
                #expect(try await Self.portalState(api, admin, account).0 == "valid")

                // Past the refresh age (3 s) and within the LK margin: renewed once more, again across both.
                try await Task.sleep(for: .milliseconds(3200))
                let second = try await withThrowingTaskGroup(of: Reply.self) { group in
                    for index in 0..<8 { group.addTask { try await Self.cards(bases[index % 2], anna) } }
                    return try await group.reduce(into: [Reply]()) { $0.append($1) }
                }
                #expect(second.allSatisfy(Self.onlyAnnas), "\(second.map { "\($0.status) \($0.text.prefix(200))" })")
                #expect(portal.slides == 2 && portal.lkTokensIssued == 2, "slides \(portal.slides), LK tokens \(portal.lkTokensIssued)")
                #expect(ProxyHarness.leaked(first + second, portal).isEmpty)
            }
        }
    }

    @Test("WB ending the session marks it invalid (API shows why; WB is not called again); new cookies bring it back")
    func invalidWhenWBEndsIt() async throws {
        try await APIHarness.run { api in
            let (admin, account, anna) = try await Self.manager(api, device: "supplier-portal__-ended")
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal) { _, bases in
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                portal.endSessions()
                let ended = try await Self.cards(bases[0], anna)
                #expect(ended.status == 502 && ended.text.contains("WB ended") && ended.text.contains("WB завершил"), "\(ended.text)")
                // In Russian for a Russian browser.
                let russian = try await ProxyHarness.call(
                    bases[0],
                    .POST,
                    ProxyHarness.cards,
                    cookie: anna.token,
                    json: "{}",
                    headers: [("Accept-Language", "ru-RU,ru;q=0.9")]
                )
                #expect(
                    russian.text.contains(#"<html lang="ru"><head><meta charset="utf-8"><title>JoyCity</title></head><body><p>WB завершил"#),
                    "\(russian.text)"
                )
                #expect(!ended.text.contains("178231456"))
                let (state, reason) = try await Self.portalState(api, admin, account)
                #expect(state == "invalid" && reason.contains("slide-v3"), "\(state) \(reason)")
                // No replica calls WB with it again.
                let before = portal.requests.count
                #expect(try await Self.cards(bases[0], anna).status == 502)
                #expect(portal.requests.count == before)

                // An admin stores fresh cookies (a new login): the proxy starts again from them.
                try await Self.storeCookies(api, admin, account, device: "supplier-portal__-fresh")
                #expect(try await Self.portalState(api, admin, account).0 == "unchecked")
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                #expect(try await Self.portalState(api, admin, account).0 == "valid")
            }
        }
    }

    @Test("upstream faults fail closed: 5xx, truncated, unreadable encoding, too slow; a 401 renews and retries once")
    func faultsFailClosed() async throws {
        try await APIHarness.run { api in
            let (_, _, anna) = try await Self.manager(api, device: "supplier-portal__-faults")
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal, overrides: ["PROXY_UPSTREAM_TIMEOUT": "1s"]) { _, bases in
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                let path = "/ns/viewer/content-card/viewer/tableListv6"
                for fault in [FakeWBPortal.Fault.serverError, .truncate, .encoding, .slow] {
                    portal.inject(fault, path: path)
                    let reply = try await Self.cards(bases[0], anna)
                    #expect(reply.status == 502, "\(fault): \(reply.status)")
                    #expect(reply.text.contains("<!doctype html>") && !reply.text.contains("nmID"), "\(fault): \(reply.text)")
                }
                // A 401 once: the session is renewed (one more slide) and the request retried, the manager never sees it.
                let slides = portal.slides
                portal.inject(.unauthorized, path: path)
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                #expect(portal.slides == slides + 1)
            }
        }
    }

    @Test("the SPA's own LK-token call is answered by the proxy, the SSO host is denied; nothing of WB's session reaches the browser")
    func sessionPlumbingStaysInside() async throws {
        try await APIHarness.run { api in
            let (_, _, anna) = try await Self.manager(api, device: "supplier-portal__-plumbing")
            let registry = PrometheusExposition.registry
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal) { _, bases in
                var replies = [try await Self.cards(bases[0], anna)]
                let issued = portal.lkTokensIssued
                let lk = try await ProxyHarness.call(
                    bases[0],
                    .POST,
                    "/ns/suppliers-auth/suppliers-portal-core/auth/token",
                    cookie: anna.token,
                    json: #"{"params":{},"jsonrpc":"2.0","id":"json-rpc_1"}"#
                )
                #expect(lk.status == 200 && lk.text.contains("joycity-managed"), "\(lk.text)")
                #expect(portal.lkTokensIssued == issued)
                let slides = portal.slides
                let sso = try await ProxyHarness.call(bases[0], .POST, "/__auth__/auth/v2/auth/slide-v3", cookie: anna.token, json: "{}")
                #expect(sso.status == 403 && portal.slides == slides)
                let validate = try await ProxyHarness.call(bases[0], .GET, "/ns/passport-portal/suppliers-portal-ru/validate", cookie: anna.token)
                #expect(validate.status == 200, "\(validate.text)")
                let echoed = try await ProxyHarness.call(
                    bases[0],
                    .GET,
                    "/",
                    cookie: anna.token,
                    accept: "text/html",
                    headers: [("X-Request-Id", "probe-1")]
                )
                #expect(echoed.headers.first(name: "X-Request-Id") == "probe-1")
                replies += [lk, sso, validate, echoed]
                #expect(ProxyHarness.leaked(replies, portal).isEmpty)
                // What it did is counted: requests by route and status, the denial, the filter's time, WB's latency.
                let metrics = String(decoding: registry.emitToBuffer(), as: UTF8.self)
                for series in [
                    #"joycity_proxy_requests_total{route="seller-content.wildberries.ru",status="200"}"#,
                    #"joycity_proxy_denied_total{reason="endpoint"}"#, #"joycity_proxy_filter_seconds_count{kind="json"}"#,
                    #"joycity_proxy_upstream_seconds_count{host="seller-content.wildberries.ru"}"#,
                    #"joycity_proxy_cache_total{cache="articles",result="miss"}"#,
                ] {
                    #expect(metrics.contains(series), "\(series)")
                }
            }
        }
    }

    @Test(
        "the API has the proxy check portal cookies against WB before storing them (and stores them as WB rotated them); refused ones store nothing"
    )
    func dualValidation() async throws {
        let port = Int.random(in: 30_000...32_000)
        try await APIHarness.run(["API_PROXY_URL": "http://127.0.0.1:\(port)"]) { api in
            let admin = try await api.admin()
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal, overrides: ["PROXY_PORT": String(port)]) { _, bases in
                // A new account with bad portal cookies: neither the account nor anything else is stored.
                let token = api.fake.token(seller: 1)
                let refused = try await api.call(
                    .POST,
                    "/api/accounts",
                    token: admin.token,
                    json: APIHarness.jsonString([
                        "name": "Кристалл", "inn": "7701234567", "token": token,
                        "portalCredentials": ["cookies": "wbx-refresh=stolen-or-old; wbx-seller-device-id=supplier-portal__-create"],
                    ])
                )
                #expect(refused.status == 422 && refused.errorCode == "portal_credentials_invalid", "\(refused.text)")
                #expect(try await api.call(.GET, "/api/accounts", token: admin.token).items.isEmpty)

                // Good ones: checked (one slide-v3), stored as WB rotated them, the session valid at once.
                let created = try await api.call(
                    .POST,
                    "/api/accounts",
                    token: admin.token,
                    json: APIHarness.jsonString([
                        "name": "Кристалл", "inn": "7701234567", "token": token,
                        "portalCredentials": ["cookies": "wbx-refresh=demo-refresh; wbx-seller-device-id=supplier-portal__-create"],
                    ])
                )
                #expect(created.status == 201, "\(created.text)")
                let account = (created.json["id"] as? NSNumber)?.int64Value ?? 0
                #expect((created.json["portalSession"] as? [String: Any])?["state"] as? String == "valid", "\(created.text)")
                #expect(portal.slides == 1)
                let anna = try await api.user("anna", [.manager], accountID: account)
                let month = "/api/accounts/\(account)/assignments/\(AssignmentConfiguration().currentMonth())/users/\(anna.userID)"
                #expect(
                    try await api.call(.PUT, month, token: admin.token, json: #"{"nmIds":[178231456],"force":true,"comment":"dual"}"#).status == 200
                )
                // The proxy uses what was stored: the rotated refresh and the access token, no second slide.
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                #expect(portal.slides == 1)

                // Changing them to cookies WB refuses: 422, the stored ones stay and keep working.
                let bad = try await api.call(
                    .PUT,
                    "/api/accounts/\(account)/portal-credentials",
                    token: admin.token,
                    json: #"{"cookies":"wbx-refresh=expired; wbx-seller-device-id=supplier-portal__-other"}"#
                )
                #expect(bad.status == 422 && bad.errorCode == "portal_credentials_invalid", "\(bad.text)")
                #expect(Self.onlyAnnas(try await Self.cards(bases[0], anna)))
                #expect(try await Self.portalState(api, admin, account).0 == "valid")
                // Nobody but the API may ask the proxy to check: 404 without the shared secret.
                let probe = try await ProxyHarness.call(bases[0], .POST, "/__joycity__/validate", cookie: nil, json: #"{"cookies":"a=b"}"#)
                #expect(probe.status == 404)
            }
        }
    }

    @Test("the balance widget answers the manager's own balance from the report rows of the articles they held that month; WB is not asked")
    func ownBalance() async throws {
        try await APIHarness.run { api in
            let (_, account, anna) = try await Self.manager(api, device: "supplier-portal__-balance")
            let month = AssignmentConfiguration().currentMonth()
            try await ProxyHarness.reportRows(
                api,
                account: account,
                [
                    (1, 178_231_456, month.firstDay, #"{"doc_type_name":"Продажа","ppvz_for_pay":1000.5,"delivery_rub":50}"#),
                    (2, 178_231_456, month.firstDay, #"{"docTypeName":"Возврат","forPay":"100.25","deliveryRub":"10"}"#),
                    (3, 209_455_871, month.firstDay, #"{"doc_type_name":"Продажа","ppvz_for_pay":5000}"#),
                    (4, 0, month.firstDay, #"{"storage_fee":300}"#),
                    (5, 178_231_456, month.previous.firstDay, #"{"doc_type_name":"Продажа","ppvz_for_pay":7000}"#),
                ]
            )
            let portal = FakeWBPortal()
            try await ProxyHarness.run(api: api, portal: portal) { _, bases in
                let path = "/__weekly__/ns/realization-reports/suppliers-portal-analytics/api/v1/balance"
                let this = try await ProxyHarness.call(bases[0], .GET, path, cookie: anna.token)
                #expect(this.status == 200, "\(this.text)")
                let figures = (try? JSONSerialization.jsonObject(with: Data(this.text.utf8)) as? [String: Any])?["data"] as? [String: Any] ?? [:]
                #expect((figures["forPay"] as? Double) == 900.25 && (figures["logistics"] as? Double) == 60, "\(this.text)")
                #expect((figures["balance"] as? Double) == 840.25 && (figures["rows"] as? Int) == 2, "\(this.text)")
                // Last month's row was nobody's of hers (she held no article then): a longer period adds nothing.
                let longer = try await ProxyHarness.call(bases[0], .GET, path + "?dateFrom=\(month.previous.firstDay)", cookie: anna.token)
                #expect(longer.text.contains(#""balance":840.25"#), "\(longer.text)")
                let bad = try await ProxyHarness.call(bases[0], .GET, path + "?dateFrom=2026-13-01", cookie: anna.token)
                #expect(bad.status == 400 && bad.text.contains("dateFrom"), "\(bad.text)")
                #expect(!portal.requests.contains { $0.contains("/balance") })
            }
        }
    }

    @Test("two `joycity proxy` processes on one fresh session: one slide-v3 between them; both stop cleanly on SIGTERM")
    func twoProcesses() async throws {
        try await APIHarness.run { api in
            let (_, _, anna) = try await Self.manager(api, device: "supplier-portal__-processes")
            let portal = FakeWBPortal()
            try await portal.withRunning(logger: TestRedis.logger) { upstream in
                let first = Int.random(in: 30_000...30_999)
                let ports = [first, first + 1000]
                let processes = try ports.map { port in
                    try FleetProcess(
                        ["proxy"],
                        environment: api.environment.merging([
                            "PROXY_PORT": String(port), "PROXY_UPSTREAM": upstream, "PROXY_METRICS_PORT": "0", "LOG_LEVEL": "warning",
                        ]) { $1 }
                    )
                }
                let bases = ports.map { "http://127.0.0.1:\($0)" }
                for base in bases {
                    let up = await eventually(timeout: .seconds(60)) {
                        try await ProxyHarness.call(base, .GET, "/__joycity__/health", cookie: nil).status == 200
                    }
                    #expect(up, "\(processes.map(\.output))")
                }
                let replies = try await withThrowingTaskGroup(of: Reply.self) { group in
                    for index in 0..<16 { group.addTask { try await Self.cards(bases[index % 2], anna) } }
                    return try await group.reduce(into: [Reply]()) { $0.append($1) }
                }
                #expect(replies.allSatisfy(Self.onlyAnnas), "\(replies.map { "\($0.status) \($0.text.prefix(160))" })")
                #expect(portal.slides == 1 && portal.lkTokensIssued == 1, "slides \(portal.slides), LK tokens \(portal.lkTokensIssued)")
                for process in processes { process.send(SIGTERM) }
                for process in processes {
                    let status = await process.waitForExit(timeout: .seconds(15))
                    #expect(status == 0, "\(process.output)")
                }
            }
        }
    }
}
