import FleetCore
import Foundation
import Synchronization

/// Everything the fake knows, behind one lock: sellers' data, rate-limit buckets, counters, pending faults.
public final class FakeWBState: Sendable {
    /// A fault to inject into upcoming data requests.
    public enum Fault: String, Sendable, Codable {
        /// 500 with a plain body.
        case serverError = "500"
        /// Stall for the configured slow delay, then answer normally.
        case slow
        /// 200 whose JSON body is cut in half.
        case truncate
    }

    /// Counters per seller id and method group.
    public struct Counters: Sendable, Codable, Equatable {
        public var served = 0
        public var throttled = 0
        public var unauthorized = 0
        public var faults = 0
        /// Wall-clock ms of the latest (up to 10,000) requests that passed the limiter (to check a client kept the limits).
        public var servedAt: [Int64] = []
    }

    struct Bucket {
        var tokens: Double
        var updatedMs: Int64
    }

    struct Inner {
        var sellers: [FakeWBSeller]
        var buckets: [String: Bucket] = [:]
        var counters: [String: Counters] = [:]
        var pendingFaults: [Fault] = []
        var random: SplitMix64
        var faults: FakeWBConfiguration.Faults
        var reportEnd: FakeWBConfiguration.ReportEnd
        var limits: [String: FakeWBConfiguration.Limit]
    }

    public let configuration: FakeWBConfiguration
    public let tokens: FakeWBTokens
    let inner: Mutex<Inner>

    /// Generates the data of `configuration.accounts` sellers.
    public init(configuration: FakeWBConfiguration) {
        self.configuration = configuration
        self.tokens = FakeWBTokens(secret: configuration.secret)
        let now = MSK.nowMs()
        let sellers =
            configuration.accounts > 0 ? (1...configuration.accounts).map { FakeWBSeller(index: $0, configuration: configuration, nowMs: now) } : []
        inner = Mutex(
            Inner(
                sellers: sellers,
                random: SplitMix64(seed: configuration.seed),
                faults: configuration.faults,
                reportEnd: configuration.reportEnd,
                limits: configuration.limits
            )
        )
    }

    // MARK: sellers and tokens

    /// Seller ids, seller 1 first.
    public var sellerIDs: [String] { inner.withLock { $0.sellers.map(\.sid) } }

    /// A valid token for seller `index` (1-based).
    public func token(
        seller index: Int,
        scope: UInt64 = FakeWBTokens.statistics | FakeWBTokens.finance | FakeWBTokens.readOnly,
        expires: Date? = nil,
        kind: Int = 3
    ) -> String {
        let sid = FakeWBSeller.sid(index: index, seed: configuration.seed)
        return tokens.mint(sid: sid, scope: scope, expires: expires ?? Date().addingTimeInterval(180 * 86_400), kind: kind)
    }

    // MARK: control

    /// Makes the next `count` data requests fail with `fault` (before any random fault).
    public func inject(_ fault: Fault, count: Int = 1) {
        inner.withLock { $0.pendingFaults += Array(repeating: fault, count: count) }
    }

    /// Replaces the random fault probabilities.
    public func setFaults(_ faults: FakeWBConfiguration.Faults) { inner.withLock { $0.faults = faults } }

    /// Replaces a group's limit (empties nothing: the bucket refills at the new rate).
    public func setLimit(_ group: String, _ limit: FakeWBConfiguration.Limit) { inner.withLock { $0.limits[group] = limit } }

    /// Switches the report's end-of-data answer.
    public func setReportEnd(_ end: FakeWBConfiguration.ReportEnd) { inner.withLock { $0.reportEnd = end } }

    /// Cancels `count` orders of seller `index`; they come back with a newer `lastChangeDate`. - Returns: their srids.
    @discardableResult
    public func cancelOrders(seller index: Int, count: Int) -> [String] { withSeller(index) { $0.cancelOrders(count) } ?? [] }

    /// Adds `count` new orders to seller `index`. - Returns: their srids.
    @discardableResult
    public func addOrders(seller index: Int, count: Int) -> [String] { withSeller(index) { $0.addOrders(count) } ?? [] }

    /// Recomputes seller `index`'s latest weekly report. - Returns: the changed and removed `rrd_id`s.
    @discardableResult
    public func recomputeReport(seller index: Int, change: Int, remove: Int) -> (changed: [Int64], removed: [Int64]) {
        withSeller(index) { $0.recomputeReport(change: change, remove: remove) } ?? ([], [])
    }

    /// Removes the report rows `rrdIDs` of seller `index` (a recomputation that dropped them, in whatever week).
    /// - Returns: how many were removed.
    @discardableResult
    public func removeReportRows(seller index: Int, rrdIDs: Set<Int64>) -> Int {
        withSeller(index) { seller in
            let before = seller.report.count
            seller.report.removeAll { rrdIDs.contains($0.rrd) }
            return before - seller.report.count
        } ?? 0
    }

    /// Seller `index`'s report rows as (rrd_id, MSK day number) pairs, in rrd_id order.
    public func reportDays(seller index: Int) -> [(rrd: Int64, day: Int64)] {
        withSeller(index) { seller in seller.report.map { ($0.rrd, $0.day) } } ?? []
    }

    /// The current content of a dataset for seller `index`: key → JSON (what a complete sync must end up with).
    public func snapshot(seller index: Int, dataset: String) -> [String: String] {
        inner.withLock { inner in
            guard let seller = inner.sellers.first(where: { $0.index == index }) else { return [:] }
            let rows = dataset == "orders" ? seller.orders : dataset == "sales" ? seller.sales : seller.report
            return Dictionary(rows.map { ($0.key, $0.json) }, uniquingKeysWith: { _, b in b })
        }
    }

    /// Counters per `sid/group`.
    public func counters() -> [String: Counters] { inner.withLock { $0.counters } }

    func withSeller<T>(_ index: Int, _ body: (inout FakeWBSeller) -> T) -> T? {
        inner.withLock { inner in
            guard let i = inner.sellers.firstIndex(where: { $0.index == index }) else { return nil }
            return body(&inner.sellers[i])
        }
    }

    // MARK: request path

    enum Admission {
        case allowed(remaining: Int)
        case throttled(retry: Int, limit: Int, reset: Int)
    }

    /// Takes a token from the `(sid, group)` bucket.
    func admit(sid: String, group: String, nowMs: Int64 = Int64(Date().timeIntervalSince1970 * 1000)) -> Admission {
        inner.withLock { inner in
            let limit = inner.limits[group] ?? FakeWBConfiguration.Limit(1, per: .seconds(60))
            let interval =
                Double(limit.period.components.seconds * 1000 + limit.period.components.attoseconds / 1_000_000_000_000_000) / Double(limit.limit)
            let key = "\(sid)/\(group)"
            var bucket = inner.buckets[key] ?? Bucket(tokens: Double(limit.burst), updatedMs: nowMs)
            bucket.tokens = min(Double(limit.burst), bucket.tokens + Double(nowMs - bucket.updatedMs) / interval)
            bucket.updatedMs = nowMs
            defer { inner.buckets[key] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                inner.counters[key, default: Counters()].served += 1
                inner.counters[key, default: Counters()].servedAt.append(nowMs)
                // A long-running fake (`joycity all`) keeps the latest 10,000 only.
                if inner.counters[key]!.servedAt.count > 10_000 { inner.counters[key]!.servedAt.removeFirst(5_000) }
                return .allowed(remaining: Int(bucket.tokens))
            }
            inner.counters[key, default: Counters()].throttled += 1
            let retry = Int(((1 - bucket.tokens) * interval / 1000).rounded(.up))
            let reset = Int(((Double(limit.burst) - bucket.tokens) * interval / 1000).rounded(.up))
            return .throttled(retry: max(1, retry), limit: limit.burst, reset: max(1, reset))
        }
    }

    func countUnauthorized(sid: String, group: String) { inner.withLock { $0.counters["\(sid)/\(group)", default: Counters()].unauthorized += 1 } }

    /// The fault for this request, if any.
    func drawFault(sid: String, group: String) -> Fault? {
        inner.withLock { inner in
            var fault: Fault?
            if !inner.pendingFaults.isEmpty {
                fault = inner.pendingFaults.removeFirst()
            } else {
                let roll = inner.random.unit()
                let f = inner.faults
                if roll < f.serverError {
                    fault = .serverError
                } else if roll < f.serverError + f.slow {
                    fault = .slow
                } else if roll < f.serverError + f.slow + f.truncate {
                    fault = .truncate
                }
            }
            if fault != nil { inner.counters["\(sid)/\(group)", default: Counters()].faults += 1 }
            return fault
        }
    }

    var reportEnd: FakeWBConfiguration.ReportEnd { inner.withLock { $0.reportEnd } }

    /// orders/sales rows changed at or after `fromMs` (flag 0), or ordered on that day (flag 1).
    func changes(sid: String, dataset: String, fromMs: Int64, flag: Int) -> [String] {
        inner.withLock { inner in
            guard let seller = inner.sellers.first(where: { $0.sid == sid }) else { return [] }
            let rows = dataset == "orders" ? seller.orders : seller.sales
            if flag == 1 {
                let day = fromMs / MSK.dayMs
                return rows.filter { row in
                    guard case .string(let date) = row.spec.overrides["date"] ?? .string(""), let ms = MSK.parse(date) else { return false }
                    return ms / MSK.dayMs == day
                }.map(\.json)
            }
            var lo = 0
            var hi = rows.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if rows[mid].lcd < fromMs { lo = mid + 1 } else { hi = mid }
            }
            return rows[lo..<min(rows.count, lo + configuration.pageCap)].map(\.json)
        }
    }

    /// Report rows after `rrdid` of every weekly report (Monday to Sunday, MSK) that overlaps `fromDay...toDay`, at
    /// most `limit`: WB answers a period with whole weekly reports, so rows dated before `fromDay` come too.
    func reportRows(sid: String, fromDay: Int64, toDay: Int64, rrdid: Int64, limit: Int, finance: Bool) -> [String] {
        inner.withLock { inner in
            guard let s = inner.sellers.firstIndex(where: { $0.sid == sid }) else { return [] }
            var lo = 0
            var hi = inner.sellers[s].report.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if inner.sellers[s].report[mid].rrd <= rrdid { lo = mid + 1 } else { hi = mid }
            }
            var out: [String] = []
            let cap = min(limit, configuration.reportCap)
            var i = lo
            while i < inner.sellers[s].report.count && out.count < cap {
                let day = inner.sellers[s].report[i].day
                let weekStart = day - ((day + 3) % 7)
                if weekStart + 6 >= fromDay && weekStart <= toDay {
                    if finance {
                        if inner.sellers[s].report[i].financeJSON == nil {
                            inner.sellers[s].report[i].financeJSON = Templates.renderFinance(inner.sellers[s].report[i].spec)
                        }
                        out.append(inner.sellers[s].report[i].financeJSON!)
                    } else {
                        out.append(inner.sellers[s].report[i].json)
                    }
                }
                i += 1
            }
            return out
        }
    }
}

/// Seller ids of the fake, for tools that mint tokens without generating data.
public enum FakeWBSellerID {
    /// The `sid` of seller `seller` (1-based) under `seed`.
    public static func sid(seller: Int, seed: UInt64) -> String { FakeWBSeller.sid(index: seller, seed: seed) }
}
