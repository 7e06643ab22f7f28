import Assignments
import FakeWB
import FleetStore
import FleetTesting
import Foundation
import NIOHTTP1
import PostgresNIO
import Spreadsheet
import Testing

@Suite("assignments API: role rules, changes, conflicts, copy, audit, import, export", .serialized)
struct AssignmentAPITests {
    /// An account with two managers, a head of sales, a director, an analyst, support, and a manager of another
    /// account; synced orders naming the nmIds the tests assign.
    struct Team {
        let account: Int64
        let other: Int64
        let admin: APIHarness.Session
        let head: APIHarness.Session
        let director: APIHarness.Session
        let analyst: APIHarness.Session
        let support: APIHarness.Session
        let anna: APIHarness.Session
        let boris: APIHarness.Session
        let vera: APIHarness.Session
        let month: String
    }

    static let known: [Int64] = [178_231_456, 209_455_871, 231_906_114, 300_000_001, 300_000_002]

    static func team(_ api: APIHarness) async throws -> Team {
        let admin = try await api.admin()
        var ids: [Int64] = []
        for (seller, inn) in [(1, "7701234567"), (2, "7707654321")] {
            ids.append(try await api.account(admin, name: "Shop \(seller)", inn: inn, seller: seller))
        }
        try await api.owner.query(
            """
            INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
            SELECT \(ids[0]), 't' || n, now() - interval '2 days', now() - interval '2 days', n, '{}'::jsonb FROM unnest(\(known)::bigint[]) n
            """,
            logger: TestRedis.logger
        )
        return Team(
            account: ids[0],
            other: ids[1],
            admin: admin,
            head: try await api.user("hilda", [.headOfSales], accountID: ids[0]),
            director: try await api.user("dmitri", [.director]),
            analyst: try await api.user("alla", [.analyst]),
            support: try await api.user("sasha", [.support]),
            anna: try await api.user("anna", [.manager], accountID: ids[0]),
            boris: try await api.user("boris", [.manager], accountID: ids[0]),
            vera: try await api.user("vera", [.manager], accountID: ids[1]),
            month: AssignmentConfiguration().currentMonth().description
        )
    }

    @Test("who reads and who changes: heads of sales and admins change, a manager reads their own, directors and analysts read")
    func roles() async throws {
        try await APIHarness.run { api in
            let t = try await Self.team(api)
            let base = "/api/accounts/\(t.account)/assignments/\(t.month)"
            let put = #"{"nmIds":[178231456,209455871]}"#
            #expect(try await api.call(.PUT, "\(base)/users/\(t.anna.userID)", token: t.director.token, json: put).status == 403)
            #expect(try await api.call(.PUT, "\(base)/users/\(t.anna.userID)", token: t.anna.token, json: put).status == 403)
            #expect(try await api.call(.PUT, "\(base)/users/\(t.anna.userID)", token: t.analyst.token, json: put).status == 403)
            let byHead = try await api.call(.PUT, "\(base)/users/\(t.anna.userID)", token: t.head.token, json: put)
            #expect(byHead.status == 200, "\(byHead.text)")
            #expect((byHead.json["added"] as? [NSNumber])?.map(\.int64Value) == [178_231_456, 209_455_871])
            // A head of sales changes managers of their own account only.
            #expect(
                try await api.call(.PUT, "/api/accounts/\(t.other)/assignments/\(t.month)/users/\(t.vera.userID)", token: t.head.token, json: put)
                    .status == 403
            )
            #expect(try await api.call(.PUT, "\(base)/users/\(t.director.userID)", token: t.head.token, json: put).status == 403)
            #expect(try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.admin.token, json: #"{"nmIds":[231906114]}"#).status == 200)
            // Reading.
            for (who, session) in [("admin", t.admin), ("director", t.director), ("analyst", t.analyst), ("head", t.head)] {
                let table = try await api.call(.GET, base, token: session.token)
                #expect(table.status == 200, "\(who)")
                #expect((table.json["total"] as? Int) == 3, "\(who): \(table.text)")
            }
            let own = try await api.call(.GET, base, token: t.anna.token)
            #expect(own.status == 200)
            let rows = (own.json["users"] as? [[String: Any]]) ?? []
            #expect(rows.map { $0["login"] as? String } == ["anna"] && (own.json["total"] as? Int) == 2)
            #expect(try await api.call(.GET, base, token: t.vera.token).status == 403)
            #expect(try await api.call(.GET, base, token: t.support.token).status == 403)
            #expect(try await api.call(.GET, base).status == 401)
            #expect(try await api.call(.GET, "\(base)/users/\(t.anna.userID)", token: t.anna.token).status == 200)
            #expect(try await api.call(.GET, "\(base)/users/\(t.boris.userID)", token: t.anna.token).status == 403)
            #expect(try await api.call(.GET, "\(base)/conflicts", token: t.anna.token).status == 403)
            #expect(try await api.call(.GET, "/api/assignments/audit", token: t.anna.token).status == 403)
            #expect(try await api.call(.GET, "\(base)/export", token: t.director.token).status == 200)
            // What the proxy edge reads for a manager: this month's set.
            let session = try await api.call(
                .POST,
                "/internal/session",
                json: APIHarness.jsonString(["token": t.anna.token]),
                headers: [("X-Internal-Secret", APIHarness.internalSecret)]
            )
            #expect((session.json["articles"] as? [NSNumber])?.map(\.int64Value) == [178_231_456, 209_455_871])
            // Shared articles: an admin allows them per account; then a second manager may hold one.
            #expect(try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: put).status == 409)
            #expect(try await api.call(.PATCH, "/api/accounts/\(t.account)", token: t.head.token, json: #"{"sharedArticles":true}"#).status == 403)
            let shared = try await api.call(.PATCH, "/api/accounts/\(t.account)", token: t.admin.token, json: #"{"sharedArticles":true}"#)
            #expect(shared.status == 200 && shared.json["sharedArticles"] as? Bool == true, "\(shared.text)")
            #expect(try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: put).status == 200)
            let off = try await api.call(.PATCH, "/api/accounts/\(t.account)", token: t.admin.token, json: #"{"sharedArticles":false}"#)
            #expect(off.status == 400 && off.errorMessage.contains("several managers"), "\(off.text)")
        }
    }

    @Test("deltas, conflicts naming the holder, unknown nmIds, force with a comment, copy, conflicts list and audit over HTTP")
    func changes() async throws {
        try await APIHarness.run { api in
            let t = try await Self.team(api)
            let base = "/api/accounts/\(t.account)/assignments/\(t.month)"
            #expect(try await api.call(.PUT, "\(base)/users/\(t.anna.userID)", token: t.head.token, json: #"{"nmIds":[178231456]}"#).status == 200)
            let delta = try await api.call(
                .PATCH,
                "\(base)/users/\(t.anna.userID)",
                token: t.head.token,
                json: #"{"add":[209455871],"remove":[178231456]}"#
            )
            #expect(delta.status == 200 && (delta.json["nmIds"] as? [NSNumber])?.map(\.int64Value) == [209_455_871])
            let conflict = try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: #"{"nmIds":[209455871]}"#)
            #expect(conflict.status == 409 && conflict.errorMessage.contains("anna"), "\(conflict.text)")
            let unknown = try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: #"{"nmIds":[555555555]}"#)
            #expect(unknown.status == 422 && unknown.errorMessage.contains("555555555"), "\(unknown.text)")
            #expect(
                try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: #"{"nmIds":[555555555],"force":true}"#).status
                    == 400
            )
            let forced = try await api.call(
                .PUT,
                "\(base)/users/\(t.boris.userID)",
                token: t.head.token,
                json: #"{"nmIds":[555555555],"force":true,"comment":"launch next week"}"#
            )
            #expect(forced.status == 200 && (forced.json["forced"] as? [NSNumber])?.map(\.int64Value) == [555_555_555])
            #expect(try await api.call(.PUT, "\(base)/users/\(t.boris.userID)", token: t.head.token, json: #"{"nmIds":[-3]}"#).status == 400)
            #expect(try await api.call(.GET, "/api/accounts/\(t.account)/assignments/2026-13", token: t.head.token).status == 400)
            #expect(try await api.call(.GET, "/api/accounts/424242/assignments/\(t.month)", token: t.admin.token).status == 404)
            // Copy this month into the next one.
            let next = AssignmentMonth(t.month)!
            let following = next.month == 12 ? "\(next.year + 1)-01" : String(format: "%04d-%02d", next.year, next.month + 1)
            let copy = try await api.call(.POST, "/api/accounts/\(t.account)/assignments/\(following)/copy", token: t.head.token, json: "{}")
            #expect(copy.status == 200 && ((copy.json["changes"] as? [[String: Any]])?.count == 2), "\(copy.text)")
            let copied = try await api.call(.GET, "/api/accounts/\(t.account)/assignments/\(following)/users/\(t.anna.userID)", token: t.head.token)
            #expect((copied.json["nmIds"] as? [NSNumber])?.map(\.int64Value) == [209_455_871])
            // The audit, filtered.
            let audit = try await api.call(
                .GET,
                "/api/assignments/audit?account=\(t.account)&month=\(t.month)&user=\(t.boris.userID)",
                token: t.director.token
            )
            #expect(audit.status == 200 && audit.items.count == 1 && audit.items.first?["comment"] as? String == "launch next week", "\(audit.text)")
            #expect(audit.items.first?["actor"] as? String == "hilda" && audit.items.first?["source"] as? String == "api")
            #expect(try await api.call(.GET, "/api/assignments/audit?source=fax", token: t.admin.token).status == 400)
            #expect(try await api.call(.GET, "/api/assignments/audit?source=copy", token: t.admin.token).items.count == 2)
            // Conflicts: the forced article is not in synced data but was forced, so it is fine; a holder who moves is not.
            try await api.owner.query("UPDATE users SET account_id = \(t.other) WHERE login = 'boris'", logger: TestRedis.logger)
            let conflicts = try await api.call(.GET, "\(base)/conflicts", token: t.analyst.token)
            #expect(conflicts.status == 200 && conflicts.items.map { $0["reason"] as? String } == ["holderMovedAccount"], "\(conflicts.text)")
        }
    }

    @Test("import over HTTP: a dry run reports, problems answer 422 with every row and apply nothing, a good file applies; limits give 413")
    func importExport() async throws {
        try await APIHarness.run(["ASSIGNMENT_IMPORT_MAX_BYTES": "65536"]) { api in
            let t = try await Self.team(api)
            let m = t.month
            let good =
                "login,account inn,month,nmId\nanna,7701234567,\(m),178231456\nanna,7701234567,\(m),209455871\nboris,7701234567,\(m),231906114\n"
            let dry = try await api.call(
                .POST,
                "/api/assignments/import?dryRun=true",
                token: t.head.token,
                bytes: Array(good.utf8),
                contentType: "text/csv"
            )
            #expect(dry.status == 200 && dry.json["applied"] as? Bool == false && dry.json["added"] as? Int == 3, "\(dry.text)")
            let bad = good + "vera,7707654321,\(m),300000001\nanna,7701234567,\(m),777777777\n"
            let rejected = try await api.call(.POST, "/api/assignments/import", token: t.head.token, bytes: Array(bad.utf8), contentType: "text/csv")
            #expect(rejected.status == 422 && rejected.errorCode == "import_rejected", "\(rejected.text)")
            let problems = ((rejected.json["report"] as? [String: Any])?["problems"] as? [[String: Any]]) ?? []
            #expect(problems.map { $0["row"] as? Int } == [5, 6])
            #expect(problems.map { $0["kind"] as? String } == ["notPermitted", "notInSyncedData"])
            #expect(try await api.call(.GET, "/api/accounts/\(t.account)/assignments/\(m)", token: t.admin.token).json["total"] as? Int == 0)
            let applied = try await api.call(.POST, "/api/assignments/import", token: t.head.token, bytes: Array(good.utf8), contentType: "text/csv")
            #expect(applied.status == 200 && applied.json["applied"] as? Bool == true, "\(applied.text)")
            #expect(
                try await api.call(.POST, "/api/assignments/import", token: t.anna.token, bytes: Array(good.utf8), contentType: "text/csv").status
                    == 403
            )
            // Export, then import the export: nothing changes.
            let export = try await api.call(.GET, "/api/accounts/\(t.account)/assignments/\(m)/export?lang=ru", token: t.head.token)
            #expect(
                export.status == 200
                    && export.headers.first(name: "Content-Type") == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            var rows: [[String]] = []
            try XLSXReader(data: Data(export.bytes)).readRows { rows.append($0.cells.map { $0?.text ?? "" }) }
            #expect(rows.first == ["логин", "инн", "месяц", "артикул", "имя"] && rows.count == 4)
            let again = try await api.call(
                .POST,
                "/api/assignments/import",
                token: t.head.token,
                bytes: export.bytes,
                contentType: "application/octet-stream"
            )
            #expect(again.status == 200 && again.json["added"] as? Int == 0 && again.json["unchanged"] as? Int == 3, "\(again.text)")
            let template = try await api.call(.GET, "/api/assignments/template", token: t.head.token)
            #expect(template.status == 200 && template.bytes.starts(with: [0x50, 0x4B]))
            // Too big: the declared length is refused before the body is read; a hostile file is a 422, never a 500.
            let big = try await api.call(
                .POST,
                "/api/assignments/import",
                token: t.head.token,
                bytes: [UInt8](repeating: 65, count: 70_000),
                contentType: "text/csv"
            )
            #expect(big.status == 413, "\(big.status) \(big.text)")
            let notZip = try await api.call(
                .POST,
                "/api/assignments/import",
                token: t.head.token,
                bytes: [0x50, 0x4B, 3, 4, 9, 9],
                contentType: "application/octet-stream"
            )
            #expect(notZip.status == 422 && notZip.errorCode == "import_rejected")
        }
    }

    @Test("a 100 MB upload is refused with 413 under the default limit, and nothing is applied")
    func hundredMegabytes() async throws {
        try await APIHarness.run { api in
            let t = try await Self.team(api)
            let reply = try? await api.call(
                .POST,
                "/api/assignments/import",
                token: t.head.token,
                bytes: [UInt8](repeating: 0x41, count: 100 << 20),
                contentType: "text/csv"
            )
            // The server answers 413 from the declared length, and may close the connection while the client is still
            // sending: either way no import happened.
            if let reply { #expect(reply.status == 413) }
            #expect(try await api.call(.GET, "/api/assignments/audit", token: t.admin.token).items.isEmpty)
        }
    }
}
