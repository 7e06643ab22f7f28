import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import Testing
import WBKit
import Workers

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The fake WB speaks WB's documented contract (../shared/wb/WB-API.md): what any client of it can rely on.
@Suite struct FakeWBContractTests {
    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: String
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.utf8)) }
    }

    func get(_ url: String, token: String?, method: String = "GET", body: String? = nil) async throws -> Reply {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue(token, forHTTPHeaderField: "Authorization") }
        if let body { request.httpBody = Data(body.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as! HTTPURLResponse
        var headers: [String: String] = [:]
        for (key, value) in http.allHeaderFields { headers[String(describing: key).lowercased()] = String(describing: value) }
        return Reply(status: http.statusCode, headers: headers, body: String(decoding: data, as: UTF8.self))
    }

    @Test func pingOrdersReportErrorsAndLimitsFollowTheDocumentedContract() async throws {
        try await withFakeWB({
            $0.pageCap = 4
            $0.limits["sales"] = .init(1, per: .seconds(60), burst: 2)
        }) { fake, url in
            let token = fake.token(seller: 1)
            let ping = try await get("\(url)/ping", token: "Bearer \(token)")
            #expect(ping.status == 200)
            #expect((ping.json as? [String: String])?["Status"] == "OK" && (ping.json as? [String: String])?["TS"] != nil)

            let orders = try await get("\(url)/api/v1/supplier/orders?dateFrom=2020-01-01", token: token)
            #expect(orders.status == 200 && orders.headers["x-ratelimit-remaining"] != nil)
            let rows = try #require(orders.json as? [[String: Any]])
            #expect(rows.count == 4, "the page cap")
            let first = rows[0]
            for field in ["date", "lastChangeDate", "srid", "nmId", "gNumber", "isCancel", "cancelDate", "warehouseType", "priceWithDisc"] {
                #expect(first[field] != nil, "orders rows carry \(field)")
            }
            let lcd = try #require(first["lastChangeDate"] as? String)
            #expect(lcd.count == 19 && !lcd.hasSuffix("Z"), "MSK without an offset: \(lcd)")
            // `>=`: passing the last row's lastChangeDate returns that row again.
            let last = try #require(rows.last?["lastChangeDate"] as? String)
            let next = try #require(try await get("\(url)/api/v1/supplier/orders?dateFrom=\(last)", token: token).json as? [[String: Any]])
            #expect(next.contains { $0["srid"] as? String == rows.last?["srid"] as? String })
            let future = try await get("\(url)/api/v1/supplier/orders?dateFrom=2099-01-01", token: token)
            #expect(future.status == 200 && future.body == "[]")

            let missing = try await get("\(url)/api/v1/supplier/orders", token: token)
            #expect(missing.status == 400 && (missing.json as? [String: [String]])?["errors"] == ["dateFrom: field required"])
            let invalid = try await get("\(url)/api/v1/supplier/orders?dateFrom=soon", token: token)
            #expect(invalid.status == 400 && (invalid.json as? [String: String])?["errors"] == "dateFrom: Value not validated")

            let noDateTo = try await get("\(url)/api/v5/supplier/reportDetailByPeriod?dateFrom=2020-01-01", token: token)
            #expect(noDateTo.status == 400 && noDateTo.body.contains("missing dateTo params") && noDateTo.body.contains("request_id"))
            let report = try await get("\(url)/api/v5/supplier/reportDetailByPeriod?dateFrom=2020-01-01&dateTo=2099-01-01&limit=3", token: token)
            let reportRows = try #require(report.json as? [[String: Any]])
            #expect(reportRows.count == 3 && reportRows[0]["rrd_id"] is NSNumber && reportRows[0]["ppvz_for_pay"] is NSNumber)
            let end = try await get(
                "\(url)/api/v5/supplier/reportDetailByPeriod?dateFrom=2020-01-01&dateTo=2099-01-01&rrdid=99999999999999",
                token: token
            )
            #expect(end.status == 204 && end.body.isEmpty)
            let finance = try await get(
                "\(url)/api/finance/v1/sales-reports/detailed",
                token: token,
                method: "POST",
                body: #"{"dateFrom":"2020-01-01","dateTo":"2099-01-01","limit":2,"rrdId":0}"#
            )
            let financeRows = try #require(finance.json as? [[String: Any]])
            #expect(financeRows.count == 2 && financeRows[0]["rrdId"] != nil && financeRows[0]["forPay"] is String)

            let unknown = try await get("\(url)/api/v1/supplier/stocks?dateFrom=2020-01-01", token: token)
            #expect(unknown.status == 404 && (unknown.json as? [String: Any])?["title"] as? String == "path not found")

            // 401 bodies: problem+json with WB's detail texts.
            let malformed = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: "abc")
            #expect(malformed.status == 401 && malformed.headers["content-type"]?.contains("problem+json") == true)
            #expect(
                (malformed.json as? [String: Any])?["detail"] as? String
                    == "token problem; token is malformed: token contains an invalid number of segments"
            )
            let expired = try await get(
                "\(url)/api/v1/supplier/sales?dateFrom=2020-01-01",
                token: fake.token(seller: 1, expires: Date().addingTimeInterval(-1))
            )
            #expect(((expired.json as? [String: Any])?["detail"] as? String)?.hasPrefix("token expired") == true)
            let scope = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: fake.token(seller: 1, scope: FakeWBTokens.finance))
            #expect(scope.status == 401 && (scope.json as? [String: Any])?["detail"] as? String == "token scope not allowed")
            let test = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: fake.token(seller: 1, kind: 2))
            #expect(test.status == 401, "a test token is refused by a production host")

            // Sales: 1 per minute, burst 2 → the third request is throttled with WB's headers and body.
            _ = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: token)
            _ = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: token)
            let throttled = try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: token)
            #expect(throttled.status == 429)
            #expect(Int(throttled.headers["x-ratelimit-retry"] ?? "") ?? 0 >= 1)
            #expect(throttled.headers["x-ratelimit-limit"] == "2" && Int(throttled.headers["x-ratelimit-reset"] ?? "") ?? 0 >= 30)
            #expect((throttled.json as? [String: Any])?["title"] as? String == "too many requests")
            // Another seller's bucket is its own.
            #expect(try await get("\(url)/api/v1/supplier/sales?dateFrom=2020-01-01", token: fake.token(seller: 2)).status == 200)
        }
    }

    @Test func aResponseSlowerThanTheTimeoutIsRetried() async throws {
        try await withFakeWB({ $0.faults.slowDelay = .seconds(3) }) { fake, url in
            try await TestPostgres.withDatabase { postgres, _ in
                try await TestRedis.withClient { redis in
                    let syncer = try makeSyncer(postgres: postgres, redis: redis, baseURL: url) { $0.requestTimeout = .milliseconds(700) }
                    let account = try await addAccount(syncer, fake, seller: 1)
                    fake.inject(.slow, count: 1)
                    let outcome = try await syncer.sync(account: account, dataset: .sales, context: nil)
                    #expect(outcome.state == "succeeded")
                    #expect(fake.counters()["\(fake.sellerIDs[0])/sales"]?.faults == 1)
                    #expect(try await count(postgres, "wb_sales", account: account) == fake.snapshot(seller: 1, dataset: "sales").count)
                }
            }
        }
    }
}
