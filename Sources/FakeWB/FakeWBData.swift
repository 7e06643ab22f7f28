import FleetCore
import Foundation

/// Time on WB's wire: Moscow wall-clock milliseconds since 1970 (MSK, no offset).
enum MSK {
    static let offsetMs: Int64 = 3 * 3_600_000
    static let dayMs: Int64 = 86_400_000

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + offsetMs }

    static func render(_ ms: Int64) -> String {
        let date = CivilDate(daysSinceEpoch: CivilDate.floorDiv(ms, dayMs))
        let (y, m, d) = (date.year, date.month, date.day)
        let rest = ms % dayMs
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", y, m, d, Int(rest / 3_600_000), Int(rest / 60_000 % 60), Int(rest / 1000 % 60))
    }

    static func renderDay(_ day: Int64) -> String {
        let date = CivilDate(daysSinceEpoch: day)
        let (y, m, d) = (date.year, date.month, date.day)
        return String(format: "%04d-%02d-%02d", y, m, d)
    }

    /// Parses an RFC3339 date or date-time; without an offset it is MSK. Nil when it does not parse.
    static func parse(_ text: String) -> Int64? {
        let chars = Array(text.utf8)
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for c in chars[range] {
                guard c >= 48 && c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 10, chars[4] == UInt8(ascii: "-"), chars[7] == UInt8(ascii: "-"), let y = number(0..<4), let mo = number(5..<7),
            let d = number(8..<10), (1...12).contains(mo), (1...31).contains(d)
        else { return nil }
        var ms = CivilDate.days(year: y, month: mo, day: d) * dayMs
        if chars.count == 10 { return ms }
        guard chars.count >= 19, chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: " "), let h = number(11..<13), let mi = number(14..<16),
            let s = number(17..<19), h < 24, mi < 60, s < 61
        else { return nil }
        ms += Int64(h * 3_600_000 + mi * 60_000 + s * 1000)
        var i = 19
        if i < chars.count && chars[i] == UInt8(ascii: ".") {
            i += 1
            var scale: Int64 = 100
            while i < chars.count, chars[i] >= 48, chars[i] <= 57 {
                ms += Int64(chars[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        if i == chars.count { return ms }
        if chars[i] == UInt8(ascii: "Z") && i + 1 == chars.count { return ms + offsetMs }
        if chars[i] == UInt8(ascii: "+") || chars[i] == UInt8(ascii: "-"), let oh = number((i + 1)..<(i + 3)), let om = number((i + 4)..<(i + 6)) {
            let offset = Int64(oh * 3_600_000 + om * 60_000) * (chars[i] == UInt8(ascii: "+") ? 1 : -1)
            return ms - offset + offsetMs
        }
        return nil
    }
}

/// One stored row of the fake: its key, ordering fields and rendered JSON.
struct FakeRow: Sendable {
    var key: String
    /// orders/sales: lastChangeDate (MSK ms); report: rr_dt day.
    var lcd: Int64
    var day: Int64
    var rrd: Int64
    var json: String
    /// report: the finance-api rendering (camelCase, money as strings).
    var financeJSON: String?
    /// Parameters to render it again after a change.
    var spec: RowSpec
}

struct RowSpec: Sendable {
    var template: Int
    var overrides: [String: FakeValue]
}

/// A JSON value the fake writes into a row.
enum FakeValue: Sendable, Equatable {
    case string(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    /// The value written as JSON.
    var json: String {
        switch self {
        case .string(let s): return JSONString.quoted(s)
        case .int(let i): return String(i)
        case .double(let d):
            // Whole numbers without ".0", as JSONSerialization writes them.
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return d.description
        case .bool(let b): return b ? "true" : "false"
        }
    }

    /// The value as a number, if it is one.
    var number: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .string, .bool: return nil
        }
    }
}

/// One fixture row, ready to render: its keys (and each written as a JSON string), and each value already written
/// as JSON.
struct RowTemplate: Sendable {
    var keys: [String]
    var quotedKeys: [String: String]
    var fragments: [String: String]
    /// Numeric values (for the finance form's money strings).
    var numbers: [String: Double]
}

/// Fixture bodies parsed once (read-only afterwards). Rows are written by hand from pre-written value fragments with
/// keys in byte order: `JSONSerialization`'s `.sortedKeys` compares keys with a locale (ICU collation, a locale made
/// per comparison), which made generating 100,000 rows take minutes.
enum Templates {
    static let orders = parse(FixtureTemplates.orders)
    static let sales = parse(FixtureTemplates.sales)
    static let report = parse(FixtureTemplates.reportDetail)

    static func parse(_ text: String) -> [RowTemplate] {
        let rows = (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
        return rows.map { row in
            var fragments: [String: String] = [:]
            var numbers: [String: Double] = [:]
            for (key, value) in row {
                // A one-element array is the simplest document JSONSerialization writes; its brackets are dropped.
                let data = (try? JSONSerialization.data(withJSONObject: [value])) ?? Data("[null]".utf8)
                fragments[key] = String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
                if let number = value as? NSNumber { numbers[key] = number.doubleValue }  // read only for money keys
            }
            let keys = row.keys.sorted()
            return RowTemplate(
                keys: keys,
                quotedKeys: Dictionary(uniqueKeysWithValues: keys.map { ($0, JSONString.quoted($0)) }),
                fragments: fragments,
                numbers: numbers
            )
        }
    }

    static func render(_ templates: [RowTemplate], _ spec: RowSpec) -> String {
        let template = templates[spec.template % templates.count]
        return write(
            keys(template, spec).map { key in
                (template.quotedKeys[key] ?? JSONString.quoted(key), spec.overrides[key]?.json ?? template.fragments[key] ?? "null")
            }
        )
    }

    /// The template's keys and the overrides' new ones, in byte order.
    static func keys(_ template: RowTemplate, _ spec: RowSpec) -> [String] {
        let added = spec.overrides.keys.filter { template.fragments[$0] == nil }
        return added.isEmpty ? template.keys : (template.keys + added).sorted()
    }

    /// `{"key":value,…}` from written keys and values, in the given order.
    static func write(_ fields: [(String, String)]) -> String {
        var out = "{"
        out.reserveCapacity(fields.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 4 })
        for (index, (key, value)) in fields.enumerated() {
            if index > 0 { out += "," }
            out += key
            out += ":"
            out += value
        }
        return out + "}"
    }

    static let moneyKeys: Set<String> = [
        "retail_price", "retail_amount", "retail_price_withdisc_rub", "delivery_rub", "ppvz_sales_commission", "ppvz_for_pay", "ppvz_reward",
        "acquiring_fee", "ppvz_vw", "ppvz_vw_nds", "penalty", "additional_payment", "rebill_logistic_cost", "storage_fee", "deduction",
        "acceptance", "cashback_amount", "cashback_discount", "installment_cofinancing_amount", "supplier_promo", "product_discount_for_report",
    ]
    static let renames: [String: String] = [
        "ppvz_for_pay": "forPay", "storage_fee": "paidStorage", "acceptance": "paidAcceptance", "assembly_id": "orderId",
    ]

    /// The finance-api (2026) form of a report row: camelCase keys, money as strings.
    static func renderFinance(_ spec: RowSpec) -> String {
        let template = report[spec.template % report.count]
        var fields: [(String, String)] = keys(template, spec).map { key in
            let name = JSONString.quoted(renames[key] ?? camelCase(key))
            if moneyKeys.contains(key), let number = spec.overrides[key]?.number ?? template.numbers[key] {
                return (name, JSONString.quoted(String(format: "%.2f", number)))
            }
            return (name, spec.overrides[key]?.json ?? template.fragments[key] ?? "null")
        }
        fields.sort { $0.0 < $1.0 }
        return write(fields)
    }

    static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_")
        guard let first = parts.first else { return key }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}
