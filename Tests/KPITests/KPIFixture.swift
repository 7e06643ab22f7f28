import Assignments
import FleetStore
import FleetTesting
import Foundation
import KPI
import Logging
import PostgresNIO

/// A migrated database with one seller account that allows shared articles, three managers (anna, boris, vera),
/// and the hand-computed rows of docs/kpi.md's worked example in the month two before this one (`closed`), plus
/// one report row in the month before (`last`) where nmId 101 changed hands.
struct KPIFixture: Sendable {
    let client: PostgresClient
    let database: DatabaseConfiguration
    let store: KPIStore
    let account: Int64
    let users: [String: Int64]
    /// Two months ago (closed), and last month.
    let closed: AssignmentMonth
    let last: AssignmentMonth

    static let logger = Logger(label: "kpi-tests")

    static func run(_ body: @Sendable (KPIFixture) async throws -> Void) async throws {
        try await TestPostgres.withDatabase { client, database in
            let store = KPIStore(client: client, logger: logger)
            let months = store.recentMonths()
            let (closed, last) = (months[2], months[1])
            let account = try await client.query(
                "INSERT INTO seller_accounts (name, inn, shared_articles) VALUES ('Кристалл', '7701234567', true) RETURNING id",
                logger: logger
            ).decode(Int64.self).first { _ in true }!
            var users: [String: Int64] = [:]
            for login in ["anna", "boris", "vera"] {
                let id = try await client.query(
                    "INSERT INTO users (login, name, password_hash, account_id) VALUES (\(login), \(login.capitalized), 'x', \(account)) RETURNING id",
                    logger: logger
                ).decode(Int64.self).first { _ in true }!
                try await client.query("INSERT INTO user_roles (user_id, role) VALUES (\(id), 'MANAGER')", logger: logger)
                users[login] = id
            }
            let fixture = KPIFixture(client: client, database: database, store: store, account: account, users: users, closed: closed, last: last)
            try await fixture.insertExample()
            try await body(fixture)
        }
    }

    /// `day` of `month` as a timestamp text.
    func day(_ month: AssignmentMonth, _ day: Int) -> String { month.description + String(format: "-%02d", day) }

    func assign(_ month: AssignmentMonth, _ nm: Int64, _ login: String) async throws {
        try await client.query(
            "INSERT INTO assignments (account_id, month, nm_id, user_id) VALUES (\(account), \(month.firstDay)::date, \(nm), \(users[login]!))",
            logger: Self.logger
        )
    }

    func order(_ srid: String, _ day: String, _ nm: Int64, _ price: Double, cancelled: Bool = false) async throws {
        let doc = #"{"srid":"\#(srid)","nmId":\#(nm),"priceWithDisc":\#(price),"isCancel":\#(cancelled)}"#
        try await client.query(
            """
            INSERT INTO wb_orders (account_id, srid, last_change_date, order_date, nm_id, doc)
            VALUES (\(account), \(srid), \(day)::timestamp, \(day)::timestamp, \(nm), \(doc)::jsonb)
            """,
            logger: Self.logger
        )
    }

    func sale(_ id: String, _ day: String, _ nm: Int64) async throws {
        try await client.query(
            """
            INSERT INTO wb_sales (account_id, sale_id, last_change_date, sale_date, nm_id, doc)
            VALUES (\(account), \(id), \(day)::timestamp, \(day)::timestamp, \(nm), \(#"{"saleID":"\#(id)"}"#)::jsonb)
            """,
            logger: Self.logger
        )
    }

    func report(_ rrd: Int64, _ day: String, _ nm: Int64, _ doc: String, source: String = "statistics") async throws {
        try await client.query(
            """
            INSERT INTO wb_report_rows (account_id, rrd_id, realizationreport_id, rr_dt, nm_id, source, sync_run, doc)
            VALUES (\(account), \(rrd), 1, \(day)::date, \(nm), \(source), 1, \(doc)::jsonb)
            """,
            logger: Self.logger
        )
    }

    /// The worked example (docs/kpi.md): 101 anna's, 102 boris's, 103 nobody's, 104 shared by both; storage 200 and
    /// a penalty of 33.33 without an article.
    func insertExample() async throws {
        for (nm, login) in [(101, "anna"), (102, "boris"), (104, "anna"), (104, "boris")] { try await assign(closed, Int64(nm), login) }
        try await assign(last, 101, "boris")
        let m = closed
        try await order("o1", day(m, 3), 101, 1000)
        try await order("o2", day(m, 4), 101, 500, cancelled: true)
        try await order("o3", day(m, 5), 102, 2000)
        try await order("o4", day(m, 6), 103, 300)
        try await order("o5", day(m, 7), 104, 100.01)
        try await order("o6", day(last, 1), 101, 999)  // another month
        try await sale("S1", day(m, 8), 101)
        try await sale("S2", day(m, 9), 101)
        try await sale("R1", day(m, 10), 101)
        try await sale("S3", day(m, 11), 102)
        try await report(
            1,
            day(m, 12),
            101,
            #"{"doc_type_name":"Продажа","ppvz_for_pay":800,"retail_price_withdisc_rub":1000,"delivery_rub":50,"quantity":1}"#
        )
        try await report(
            2,
            day(m, 13),
            101,
            #"{"doc_type_name":"Возврат","ppvz_for_pay":400,"retail_price_withdisc_rub":500,"delivery_rub":0,"quantity":1}"#
        )
        try await report(
            3,
            day(m, 14),
            102,
            #"{"doc_type_name":"Продажа","ppvz_for_pay":1400,"retail_price_withdisc_rub":2000,"delivery_rub":70.5,"quantity":1}"#
        )
        try await report(4, day(m, 15), 103, #"{"doc_type_name":"Продажа","ppvz_for_pay":500,"retail_price_withdisc_rub":600,"quantity":1}"#)
        try await report(5, day(m, 16), 0, #"{"doc_type_name":"","supplier_oper_name":"Хранение","nm_id":0,"storage_fee":200}"#)
        try await report(6, day(m, 17), 0, #"{"doc_type_name":"","supplier_oper_name":"Штраф","nm_id":0,"penalty":33.33}"#)
        // A finance-api row: camelCase, money as strings (one with a decimal comma).
        try await report(
            7,
            day(m, 18),
            104,
            #"{"docTypeName":"Продажа","forPay":"200,00","retailPriceWithdiscRub":"260","quantity":1}"#,
            source: "finance"
        )
        try await report(8, day(last, 2), 101, #"{"doc_type_name":"Продажа","ppvz_for_pay":100,"retail_price_withdisc_rub":120,"quantity":1}"#)
    }
}
