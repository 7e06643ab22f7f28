import Assignments
import Foundation
import Logging
import PostgresNIO

/// The portal's balance widget, answered by the proxy instead of WB (WB's figure is the whole seller's): the
/// manager's own balance for a period, from the synced realization-report rows (`wb_report_rows`) of the articles
/// assigned to them *in each row's month* (a row of 3 November counts for whoever held its nmId in November).
///
/// Formula (per row, `statistics` snake_case or `finance` camelCase fields, money as numbers or strings):
/// `forPay` = Σ `ppvz_for_pay` of sales − Σ `ppvz_for_pay` of returns (`doc_type_name` = "Возврат");
/// `balance` = `forPay` − `delivery_rub` − `penalty` − `storage_fee` − `deduction` − `acceptance` + `additional_payment`.
/// Rows without an article (`nm_id` 0: storage, deductions of the whole seller) belong to nobody and are left out.
struct PortalBalance: Sendable {
    let postgres: PostgresClient
    let configuration: AssignmentConfiguration
    let logger: Logger

    struct Figures: Encodable, Equatable {
        var dateFrom: String
        var dateTo: String
        var currency = "RUB"
        var forPay: Double
        var logistics: Double
        var penalty: Double
        var storage: Double
        var deduction: Double
        var acceptance: Double
        var additionalPayment: Double
        var balance: Double
        var rows: Int
    }

    enum Problem: Error, Equatable { case badPeriod(String) }

    /// The period from `dateFrom`/`dateTo` (`YYYY-MM-DD`); by default this month (Moscow) up to today; at most 366 days.
    func period(dateFrom: String?, dateTo: String?, now: Date = Date()) throws -> (String, String) {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = configuration.timeZone
        formatter.dateFormat = "yyyy-MM-dd"
        let to =
            try dateTo.map { text in
                guard let date = formatter.date(from: text), formatter.string(from: date) == text else {
                    throw Problem.badPeriod("dateTo must be YYYY-MM-DD")
                }
                return date
            } ?? now
        let from =
            try dateFrom.map { text in
                guard let date = formatter.date(from: text), formatter.string(from: date) == text else {
                    throw Problem.badPeriod("dateFrom must be YYYY-MM-DD")
                }
                return date
            } ?? formatter.date(from: configuration.currentMonth(now: now).firstDay)!
        guard from <= to else { throw Problem.badPeriod("dateFrom is after dateTo") }
        guard to.timeIntervalSince(from) <= 366 * 86_400 else { throw Problem.badPeriod("a period may be at most 366 days") }
        return (formatter.string(from: from), formatter.string(from: to))
    }

    /// The figures of `user` in `account` for the period (inclusive dates).
    func figures(user: Int64, account: Int64, from: String, to: String) async throws -> Figures {
        func money(_ snake: String, _ camel: String) -> String {
            "COALESCE(NULLIF(COALESCE(r.doc->>'\(snake)', r.doc->>'\(camel)'), '')::numeric, 0)"
        }
        let sign = "CASE WHEN COALESCE(r.doc->>'doc_type_name', r.doc->>'docTypeName') = 'Возврат' THEN -1 ELSE 1 END"
        let sql = """
            SELECT COALESCE(SUM(\(sign) * \(money("ppvz_for_pay", "forPay"))), 0)::float8,
              COALESCE(SUM(\(money("delivery_rub", "deliveryRub"))), 0)::float8,
              COALESCE(SUM(\(money("penalty", "penalty"))), 0)::float8,
              COALESCE(SUM(\(money("storage_fee", "paidStorage"))), 0)::float8,
              COALESCE(SUM(\(money("deduction", "deduction"))), 0)::float8,
              COALESCE(SUM(\(money("acceptance", "paidAcceptance"))), 0)::float8,
              COALESCE(SUM(\(money("additional_payment", "additionalPayment"))), 0)::float8,
              count(*)::int8
            FROM wb_report_rows r
            JOIN assignments a ON a.account_id = r.account_id AND a.nm_id = r.nm_id AND a.user_id = $2
              AND a.month = date_trunc('month', r.rr_dt)::date
            WHERE r.account_id = $1 AND r.nm_id > 0 AND r.rr_dt BETWEEN $3::date AND $4::date
            """
        var binds = PostgresBindings()
        binds.append(account)
        binds.append(user)
        binds.append(from)
        binds.append(to)
        let rows = try await postgres.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
        for try await (forPay, logistics, penalty, storage, deduction, acceptance, additional, count) in rows.decode(
            (Double, Double, Double, Double, Double, Double, Double, Int64).self
        ) {
            let balance = forPay - logistics - penalty - storage - deduction - acceptance + additional
            return Figures(
                dateFrom: from,
                dateTo: to,
                forPay: Self.cents(forPay),
                logistics: Self.cents(logistics),
                penalty: Self.cents(penalty),
                storage: Self.cents(storage),
                deduction: Self.cents(deduction),
                acceptance: Self.cents(acceptance),
                additionalPayment: Self.cents(additional),
                balance: Self.cents(balance),
                rows: Int(count)
            )
        }
        throw Problem.badPeriod("no answer")
    }

    static func cents(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}
