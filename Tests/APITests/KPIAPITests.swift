import Assignments
import FleetStore
import FleetTesting
import Foundation
import KPI
import NIOHTTP1
import PostgresNIO
import Testing

@Suite("KPI API: roles, a manager's own view, settings, targets, cost prices, recompute", .serialized)
struct KPIAPITests {
    @Test("supervisors read the ranking, a manager their own row; weights, targets and cost prices are checked; a recompute is queued")
    func kpi() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let account = try await api.account(admin, name: "Shop", inn: "7701234567", seller: 1)
            let other = try await api.account(admin, name: "Other", inn: "7707654321", seller: 2)
            let head = try await api.user("hilda", [.headOfSales], accountID: account)
            let director = try await api.user("dmitri", [.director])
            let accountant = try await api.user("ada", [.accountant])
            let anna = try await api.user("anna", [.manager], accountID: account)
            let boris = try await api.user("boris", [.manager], accountID: account)
            let vera = try await api.user("vera", [.manager], accountID: other)
            let store = KPIStore(client: api.owner, logger: TestRedis.logger)
            let month = store.month(containing: Date())
            let base = "/api/accounts/\(account)/kpi/\(month)"
            for (nm, user) in [(11, anna.userID), (22, boris.userID)] {
                try await api.owner.query(
                    "INSERT INTO assignments (account_id, month, nm_id, user_id) VALUES (\(account), \(month.firstDay)::date, \(Int64(nm)), \(user))",
                    logger: TestRedis.logger
                )
            }
            for (rrd, nm, pay) in [(1, 11, 300.5), (2, 22, 700), (3, 0, 0)] {
                let doc = nm == 0 ? #"{"doc_type_name":"","storage_fee":100}"# : #"{"doc_type_name":"Продажа","ppvz_for_pay":\#(pay),"quantity":1}"#
                try await api.owner.query(
                    """
                    INSERT INTO wb_report_rows (account_id, rrd_id, rr_dt, nm_id, source, sync_run, doc)
                    VALUES (\(account), \(Int64(rrd)), \(month.firstDay)::date, \(Int64(nm)), 'statistics', 1, \(doc)::jsonb)
                    """,
                    logger: TestRedis.logger
                )
            }
            let early = try await api.call(.GET, base, token: director.token)
            #expect(early.status == 409 && early.text.contains("kpi_not_computed") && early.errorMessage.contains("recompute"), "\(early.text)")
            #expect(try await api.call(.POST, "\(base)/recompute", token: anna.token).status == 403)
            let queued = try await api.call(.POST, "\(base)/recompute", token: head.token)
            #expect(queued.status == 202 && queued.json["jobId"] is String, "\(queued.text)")
            let again = try await api.call(.POST, "\(base)/recompute", token: admin.token)
            #expect(again.json["alreadyQueued"] as? Bool == true && again.json["jobId"] as? String == queued.json["jobId"] as? String)
            #expect(try await api.call(.POST, "/api/accounts/\(other)/kpi/\(month)/recompute", token: head.token).status == 403)
            // The workers compute (not running here): the store does what the job does.
            _ = try await store.recompute(account: account, month: month, trigger: "test")

            let ranking = try await api.call(.GET, base, token: director.token)
            #expect(ranking.status == 200, "\(ranking.text)")
            let rows = ranking.json["rows"] as? [[String: Any]] ?? []
            #expect(rows.map { $0["login"] as? String } == ["boris", "anna"])
            #expect((ranking.json["totals"] as? [String: Any])?["revenue"] as? Double == 1000.5)
            // Storage 100 goes by revenue share; what is left of the rounding (under 0.001 ₽) stays unassigned.
            let rest = ((ranking.json["unassigned"] as? [String: Any])?["total"] as? [String: Any])?["storage"] as? Double
            #expect(rest.map { $0 >= 0 && $0 < 0.001 } == true, "\(ranking.text)")
            let own = try await api.call(.GET, base, token: anna.token)
            let ownRows = own.json["rows"] as? [[String: Any]] ?? []
            #expect(own.status == 200 && ownRows.count == 1 && ownRows.first?["login"] as? String == "anna" && own.json["totals"] == nil)
            #expect(ownRows.first?["rank"] as? Int == 2 && own.json["ranked"] as? Int == 2)
            #expect(try await api.call(.GET, base, token: vera.token).status == 403)
            let mine = try await api.call(.GET, "\(base)/users/\(anna.userID)", token: anna.token)
            #expect(mine.status == 200 && (mine.json["articles"] as? [[String: Any]])?.first?["nmId"] as? Int == 11, "\(mine.text)")
            #expect(try await api.call(.GET, "\(base)/users/\(boris.userID)", token: anna.token).status == 403)
            let sources = try await api.call(.GET, "\(base)/users/\(anna.userID)/rows?source=report", token: anna.token)
            #expect(sources.status == 200 && (sources.json["rows"] as? [[String: Any]])?.first?["key"] as? String == "1", "\(sources.text)")
            #expect(try await api.call(.GET, "\(base)/users/\(anna.userID)/rows?source=ledger", token: anna.token).status == 400)
            #expect(try await api.call(.GET, "\(base)/users/\(anna.userID)/rows?source=report&nmId=22", token: anna.token).status == 404)
            #expect(try await api.call(.GET, "\(base)/history", token: anna.token).status == 403)
            #expect((try await api.call(.GET, "\(base)/history", token: director.token).json["runs"] as? [Any])?.count == 1)
            #expect(try await api.call(.GET, "/api/accounts/\(account)/kpi/2026-13", token: director.token).status == 400)

            // Weights: directors and admins; a bad metric is named.
            let weights = "/api/accounts/\(account)/kpi-settings"
            #expect(try await api.call(.GET, weights, token: head.token).json["weights"] is [Any])
            #expect(
                try await api.call(.PUT, weights, token: head.token, json: #"{"weights":[{"metric":"revenue","weight":1,"direction":"higher"}]}"#)
                    .status == 403
            )
            let bad = try await api.call(
                .PUT,
                weights,
                token: director.token,
                json: #"{"weights":[{"metric":"joy","weight":1,"direction":"higher"}]}"#
            )
            #expect(bad.status == 400 && bad.errorMessage.contains("unknown metric"), "\(bad.text)")
            let set = try await api.call(
                .PUT,
                weights,
                token: director.token,
                json: #"{"weights":[{"metric":"storage","weight":2,"direction":"lower"}]}"#
            )
            #expect(set.status == 200 && (set.json["weights"] as? [[String: Any]])?.first?["metric"] as? String == "storage", "\(set.text)")

            // Targets: the account's managers only; replaced whole.
            let targets = "\(base)/targets"
            let stranger = try await api.call(
                .PUT,
                targets,
                token: head.token,
                json: #"{"targets":[{"userId":\#(vera.userID),"metric":"revenue","target":5}]}"#
            )
            #expect(stranger.status == 400 && stranger.errorMessage.contains("not a user of account"), "\(stranger.text)")
            let goal = try await api.call(
                .PUT,
                targets,
                token: head.token,
                json: #"{"targets":[{"userId":\#(anna.userID),"metric":"revenue","target":600}]}"#
            )
            #expect(goal.status == 200 && (goal.json["targets"] as? [Any])?.count == 1, "\(goal.text)")
            #expect(try await api.call(.PUT, targets, token: anna.token, json: #"{"targets":[]}"#).status == 403)

            // Cost prices: accountants, directors, admins.
            let prices = "/api/accounts/\(account)/cost-prices"
            #expect(try await api.call(.PUT, prices, token: head.token, json: #"{"prices":[]}"#).status == 403)
            let negative = try await api.call(.PUT, prices, token: accountant.token, json: #"{"prices":[{"nmId":11,"cost":-1}]}"#)
            #expect(negative.status == 400 && negative.errorMessage.contains("0 or more"), "\(negative.text)")
            let priced = try await api.call(
                .PUT,
                prices,
                token: accountant.token,
                json: #"{"prices":[{"nmId":11,"cost":120.5},{"nmId":22,"cost":10}]}"#
            )
            #expect(priced.status == 200 && (priced.json["prices"] as? [Any])?.count == 2, "\(priced.text)")
            let removed = try await api.call(.PUT, prices, token: accountant.token, json: #"{"prices":[],"remove":[22]}"#)
            #expect((removed.json["prices"] as? [[String: Any]])?.map { $0["nmId"] as? Int } == [11])

            // After the changes, the month recomputes with them: anna reaches half her target; margins are known for her.
            _ = try await store.recompute(account: account, month: month, trigger: "test")
            let after = try await api.call(.GET, "\(base)/users/\(anna.userID)", token: director.token)
            let row = after.json["row"] as? [String: Any] ?? [:]
            let attainment = (row["targets"] as? [[String: Any]])?.first?["attainment"] as? Double
            #expect(attainment.map { abs($0 - 300.5 / 600 * 100) < 1e-9 } == true, "\(after.text)")
            #expect(row["margin"] != nil && row["rank"] != nil)
        }
    }

    @Test("cost prices import from a file: editors only, a dry run, 422 with the rows at fault, then applied and read back")
    func costPriceImport() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let account = try await api.account(admin, name: "Shop", inn: "7701234567", seller: 1)
            let accountant = try await api.user("ada", [.accountant])
            let head = try await api.user("hilda", [.headOfSales], accountID: account)
            let path = "/api/accounts/\(account)/cost-prices/import"
            let good = "nmId;Себестоимость, ₽\n9001;\"412,50\"\n9002;1000\n"
            let bad = "nmId;Себестоимость\n9001;abc\n9002;-1\n"
            #expect(try await api.call(.POST, path, token: head.token, bytes: Array(good.utf8), contentType: "text/csv").status == 403)
            let dry = try await api.call(.POST, path + "?dryRun=true", token: accountant.token, bytes: Array(good.utf8), contentType: "text/csv")
            #expect(dry.status == 200 && dry.json["added"] as? Int == 2 && dry.json["applied"] as? Bool == false, "\(dry.text)")
            let listed = try await api.call(.GET, "/api/accounts/\(account)/cost-prices", token: accountant.token)
            #expect((listed.json["prices"] as? [Any])?.isEmpty == true, "\(listed.text)")
            let rejected = try await api.call(.POST, path, token: accountant.token, bytes: Array(bad.utf8), contentType: "text/csv")
            #expect(rejected.status == 422 && rejected.text.contains("import_rejected"), "\(rejected.text)")
            let problems = (rejected.json["report"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []
            #expect(problems.map { $0["row"] as? Int } == [2, 3] && problems.allSatisfy { $0["kind"] as? String == "badCostPrice" })
            let noColumn = try await api.call(.POST, path, token: accountant.token, bytes: Array("nmId;price\n1;2\n".utf8), contentType: "text/csv")
            #expect(noColumn.status == 400 && noColumn.errorMessage.contains("cost price column"), "\(noColumn.text)")
            let applied = try await api.call(.POST, path, token: admin.token, bytes: Array(good.utf8), contentType: "text/csv")
            #expect(applied.status == 200 && applied.json["applied"] as? Bool == true, "\(applied.text)")
            let after = try await api.call(.GET, "/api/accounts/\(account)/cost-prices", token: accountant.token)
            let prices = (after.json["prices"] as? [[String: Any]] ?? []).map { "\($0["nmId"] ?? ""):\($0["cost"] ?? "")" }
            #expect(prices == ["9001:412.5", "9002:1000"], "\(after.text)")
            #expect(
                try await api.call(
                    .POST,
                    "/api/accounts/999999/cost-prices/import",
                    token: admin.token,
                    bytes: Array(good.utf8),
                    contentType: "text/csv"
                ).status == 404
            )
        }
    }
}
