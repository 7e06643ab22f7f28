import FleetCore
import Foundation

/// One seller's generated data: orders and sales keyed and sorted by `lastChangeDate`, report rows by `rrd_id`.
struct FakeWBSeller: Sendable {
    let index: Int
    let sid: String
    var orders: [FakeRow] = []
    var sales: [FakeRow] = []
    var report: [FakeRow] = []
    var nextRrd: Int64
    var lastStamp: Int64 = 0
    var added = 0

    static let nmIDs: [Int64] = [178_231_456, 209_455_871, 231_906_114]

    /// The seller id of seller `index` (deterministic per seed).
    static func sid(index: Int, seed: UInt64) -> String {
        var random = SplitMix64(seed: seed &* 1_000_003 &+ UInt64(index))
        let a = random.next()
        let b = random.next()
        let hex = String(format: "%016llx%016llx", a, b)
        let c = Array(hex)
        // UUIDv4 shape.
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-4" + String(c[13..<16]) + "-a" + String(c[17..<20]) + "-" + String(c[20..<32])
    }

    init(index: Int, configuration: FakeWBConfiguration, nowMs: Int64) {
        self.index = index
        self.sid = Self.sid(index: index, seed: configuration.seed)
        self.nextRrd = 3_105_478_000_000 + Int64(index) * 10_000_000_000
        let today = nowMs / MSK.dayMs
        let firstDay = today - Int64(configuration.days) + 1
        let perDay = configuration.ordersPerDay
        var reportSpecs: [(day: Int64, spec: RowSpec)] = []
        for day in firstDay...today {
            for k in 0..<perDay {
                let dateMs = day * MSK.dayMs + 8 * 3_600_000 + Int64((k / 2) * 2) * (14 * 3_600_000 / Int64(max(perDay, 1)))
                let lcd = dateMs / 1000 * 1000 + 300_000
                if lcd > nowMs { continue }
                let order = orderSpec(day: day, k: k, dateMs: dateMs, cancelled: false, lcd: lcd)
                orders.append(
                    FakeRow(key: order.key, lcd: lcd, day: day, rrd: 0, json: Templates.render(Templates.orders, order.spec), spec: order.spec)
                )
                // Every other order is bought two days later; some of those come back.
                guard k % 2 == 0 else { continue }
                for isReturn in [false, true] {
                    if isReturn && k % 10 != 4 { continue }
                    let saleMs = dateMs + (isReturn ? 4 : 2) * MSK.dayMs
                    if saleMs + 600_000 > nowMs { continue }
                    let sale = saleSpec(day: day, k: k, saleMs: saleMs, srid: order.key, isReturn: isReturn)
                    sales.append(
                        FakeRow(
                            key: sale.key,
                            lcd: saleMs + 600_000,
                            day: saleMs / MSK.dayMs,
                            rrd: 0,
                            json: Templates.render(Templates.sales, sale.spec),
                            spec: sale.spec
                        )
                    )
                    let saleDay = saleMs / MSK.dayMs
                    reportSpecs.append(
                        (saleDay, reportSpec(template: isReturn ? 2 : 0, day: saleDay, srid: order.key, nm: nm(k), dateMs: dateMs, saleMs: saleMs))
                    )
                    reportSpecs.append((saleDay, reportSpec(template: 1, day: saleDay, srid: order.key, nm: nm(k), dateMs: dateMs, saleMs: saleMs)))
                }
            }
            // Weekly service rows (storage, deduction) without an article: nm_id 0.
            if (day + 3) % 7 == 6 {
                reportSpecs.append((day, reportSpec(template: 4, day: day, srid: "", nm: 0, dateMs: day * MSK.dayMs, saleMs: day * MSK.dayMs)))
                reportSpecs.append((day, reportSpec(template: 5, day: day, srid: "", nm: 0, dateMs: day * MSK.dayMs, saleMs: day * MSK.dayMs)))
            }
        }
        reportSpecs.sort { $0.day < $1.day }
        for (day, var spec) in reportSpecs {
            let rrd = nextRrd
            nextRrd += 1
            spec.overrides["rrd_id"] = .int(rrd)
            report.append(
                FakeRow(key: String(rrd), lcd: 0, day: day, rrd: rrd, json: Templates.render(Templates.report, spec), financeJSON: nil, spec: spec)
            )
        }
        sortChanges()
        lastStamp = max(orders.last?.lcd ?? 0, sales.last?.lcd ?? 0)
    }

    func nm(_ k: Int) -> Int64 { Self.nmIDs[k % 3] + Int64(index - 1) * 10 }

    func orderSpec(day: Int64, k: Int, dateMs: Int64, cancelled: Bool, lcd: Int64) -> (key: String, spec: RowSpec) {
        let srid =
            "\(index).r\(String(format: "%08x", UInt32(truncatingIfNeeded: day &* 7919 &+ Int64(k) &* 104_729)))\(String(format: "%05d", k)).\(day % 4).0"
        let price = Int64(1990 + (k % 7) * 500)
        let overrides: [String: FakeValue] = [
            "date": .string(MSK.render(dateMs)), "lastChangeDate": .string(MSK.render(lcd)), "srid": .string(srid), "nmId": .int(nm(k)),
            "gNumber": .string(String(format: "9%02d%07lld%05d", index % 100, day % 10_000_000, k / 2)), "totalPrice": .int(price),
            "finishedPrice": .int(price * 45 / 100), "priceWithDisc": .double(Double(price) * 0.45 + 0.5), "isCancel": .bool(cancelled),
            "cancelDate": .string(cancelled ? MSK.renderDay(lcd / MSK.dayMs) + "T00:00:00" : "0001-01-01T00:00:00"),
        ]
        return (srid, RowSpec(template: k % 5 == 2 ? 0 : k % 5, overrides: overrides))
    }

    func saleSpec(day: Int64, k: Int, saleMs: Int64, srid: String, isReturn: Bool) -> (key: String, spec: RowSpec) {
        let number = (Int64(index) * 1_000_000_000 + (day % 100_000) * 10_000 + Int64(k)) % 10_000_000_000
        let saleID = (isReturn ? "R" : "S") + String(format: "%010lld", number)
        let price = Double(1990 + (k % 7) * 500)
        let sign = isReturn ? -1.0 : 1.0
        let overrides: [String: FakeValue] = [
            "date": .string(MSK.render(saleMs)), "lastChangeDate": .string(MSK.render(saleMs + 600_000)), "saleID": .string(saleID),
            "srid": .string(srid), "nmId": .int(nm(k)), "forPay": .double(sign * (price * 0.38).rounded()), "totalPrice": .double(price),
            "finishedPrice": .double(sign * price * 0.45), "priceWithDisc": .double(sign * price * 0.45),
        ]
        return (saleID, RowSpec(template: isReturn ? 3 : 0, overrides: overrides))
    }

    func reportSpec(template: Int, day: Int64, srid: String, nm: Int64, dateMs: Int64, saleMs: Int64) -> RowSpec {
        // Weeks start on Monday (1970-01-01 was a Thursday).
        let weekStart = day - ((day + 3) % 7)
        let overrides: [String: FakeValue] = [
            "realizationreport_id": .int(431_000_000 + Int64(index) * 100_000 + weekStart % 100_000), "date_from": .string(MSK.renderDay(weekStart)),
            "date_to": .string(MSK.renderDay(weekStart + 6)), "create_dt": .string(MSK.renderDay(weekStart + 7)),
            "rr_dt": .string(MSK.renderDay(day)),
            "srid": .string(srid), "nm_id": .int(nm), "order_dt": .string(MSK.renderDay(dateMs / MSK.dayMs) + "T00:00:00Z"),
            "sale_dt": .string(MSK.renderDay(saleMs / MSK.dayMs) + "T00:00:00Z"), "rid": .int(0),
        ]
        return RowSpec(template: template, overrides: overrides)
    }

    mutating func sortChanges() {
        orders.sort { ($0.lcd, $0.key) < ($1.lcd, $1.key) }
        sales.sort { ($0.lcd, $0.key) < ($1.lcd, $1.key) }
    }

    /// A change stamp after every existing one (WB's lastChangeDate of a changed row).
    mutating func stamp() -> Int64 {
        lastStamp = max(MSK.nowMs() / 1000 * 1000, lastStamp + 1000)
        return lastStamp
    }

    /// Cancels `count` not yet cancelled orders: they reappear with a newer `lastChangeDate`.
    mutating func cancelOrders(_ count: Int) -> [String] {
        var changed: [String] = []
        let lcd = stamp()
        for i in orders.indices where changed.count < count {
            guard case .bool(false) = orders[i].spec.overrides["isCancel"] ?? .bool(false) else { continue }
            orders[i].spec.overrides["isCancel"] = .bool(true)
            orders[i].spec.overrides["cancelDate"] = .string(MSK.renderDay(lcd / MSK.dayMs) + "T00:00:00")
            orders[i].spec.overrides["lastChangeDate"] = .string(MSK.render(lcd))
            orders[i].lcd = lcd
            orders[i].json = Templates.render(Templates.orders, orders[i].spec)
            changed.append(orders[i].key)
        }
        sortChanges()
        return changed
    }

    /// Adds `count` new orders changed now.
    mutating func addOrders(_ count: Int) -> [String] {
        var keys: [String] = []
        for _ in 0..<count {
            let lcd = stamp()
            added += 1
            let day = lcd / MSK.dayMs
            var order = orderSpec(day: day, k: 100_000 + added, dateMs: lcd - 300_000, cancelled: false, lcd: lcd)
            order.key = "\(index).n\(String(format: "%010d", added)).0.0"
            order.spec.overrides["srid"] = .string(order.key)
            orders.append(FakeRow(key: order.key, lcd: lcd, day: day, rrd: 0, json: Templates.render(Templates.orders, order.spec), spec: order.spec))
            keys.append(order.key)
        }
        sortChanges()
        return keys
    }

    /// Recomputes the report of the latest week that has product rows: `change` rows get a new `ppvz_for_pay`
    /// (same `rrd_id`), `remove` rows disappear.
    mutating func recomputeReport(change: Int, remove: Int) -> (changed: [Int64], removed: [Int64]) {
        let productRows = report.indices.filter { report[$0].spec.overrides["nm_id"] != .int(0) }
        guard let lastIndex = productRows.last else { return ([], []) }
        let week = report[lastIndex].day - ((report[lastIndex].day + 3) % 7)
        let candidates = productRows.filter { report[$0].day >= week }
        var changed: [Int64] = []
        for i in candidates.prefix(change) {
            let current: Double
            if case .double(let value) = report[i].spec.overrides["ppvz_for_pay"] ?? .double(0) { current = value } else { current = 0 }
            report[i].spec.overrides["ppvz_for_pay"] = .double(current + 111.11)
            report[i].json = Templates.render(Templates.report, report[i].spec)
            report[i].financeJSON = nil
            changed.append(report[i].rrd)
        }
        let removedIndices = Array(candidates.dropFirst(change).prefix(remove))
        let removed = removedIndices.map { report[$0].rrd }
        for i in removedIndices.reversed() { report.remove(at: i) }
        return (changed, removed)
    }
}
