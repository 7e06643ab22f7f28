import FleetCore
import Foundation

/// WB's per-seller request limits, by method group: the fleet-wide limiter keeps every worker together inside them.
public struct WBRateLimits: Sendable, Equatable {
    /// One method group's budget: `limit` requests per `period`, `burst` at once after a quiet spell.
    public struct Limit: Sendable, Equatable, CustomStringConvertible {
        public var limit: Int
        public var period: Duration
        public var burst: Int
        public init(_ limit: Int, per period: Duration, burst: Int = 1) {
            self.limit = limit
            self.period = period
            self.burst = burst
        }
        public var description: String { "\(limit)/\(period.components.seconds)s burst \(burst)" }
    }

    /// The method groups WB limits separately.
    public enum Group: String, Sendable, CaseIterable {
        case orders, sales, report, finance
    }

    /// Explicit limits per group (from `WB_RATE_LIMITS`); groups not named follow WB's documented limits for the
    /// token's type.
    public var overrides: [Group: Limit]

    public init(overrides: [Group: Limit] = [:]) {
        self.overrides = overrides
    }

    /// The limit for `group` with a token of `kind` (WB-API.md §1.5, 2026-08 spec).
    public func limit(for group: Group, kind: WBToken.Kind?) -> Limit {
        if let limit = overrides[group] { return limit }
        let base = kind == .base
        switch group {
        case .orders: return base ? Limit(1, per: .seconds(3 * 3600)) : Limit(1, per: .seconds(60), burst: 10)
        case .sales: return base ? Limit(1, per: .seconds(2 * 3600)) : Limit(1, per: .seconds(60))
        case .report: return Limit(1, per: .seconds(60))
        case .finance: return base ? Limit(2, per: .seconds(24 * 3600)) : Limit(1, per: .seconds(60))
        }
    }

    /// Parses `WB_RATE_LIMITS`: comma-separated `group=N/period[:burst]`, e.g. `orders=1/1m:10,report=1/1m`.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(parsing text: String, variable: String = "WB_RATE_LIMITS") throws {
        var overrides: [Group: Limit] = [:]
        let expected = "comma-separated group=N/period[:burst] with group one of orders, sales, report, finance (e.g. orders=1/1m:10)"
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
            guard pair.count == 2, let group = Group(rawValue: pair[0]) else {
                throw ConfigurationError(variable: variable, value: text, expected: expected)
            }
            let rateAndBurst = pair[1].split(separator: ":").map(String.init)
            let rate = rateAndBurst[0].split(separator: "/").map(String.init)
            guard rate.count == 2, let n = Int(rate[0]), n >= 1, let period = DurationParser.parse(rate[1], defaultUnit: .seconds), period > .zero,
                rateAndBurst.count <= 2, let burst = rateAndBurst.count == 2 ? Int(rateAndBurst[1]) : 1, burst >= 1
            else { throw ConfigurationError(variable: variable, value: text, expected: expected) }
            overrides[group] = Limit(n, per: period, burst: burst)
        }
        self.init(overrides: overrides)
    }
}
