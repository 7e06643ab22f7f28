import FleetCore

/// WB's per-seller request limits, by method group: the fleet-wide limiter keeps every worker together inside them.
public struct WBRateLimits: Sendable, Equatable {
    /// One method group's budget.
    public typealias Limit = RateSpec

    /// The method groups WB limits separately.
    public enum Group: String, Sendable, CaseIterable {
        case orders, sales, report, finance
        /// common-api: acceptance coefficients (the logistics planner's input) and box tariffs.
        case acceptance, tariffs
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
        case .acceptance: return Limit(6, per: .seconds(60), burst: 6)
        case .tariffs: return Limit(60, per: .seconds(60), burst: 60)
        }
    }

    /// Parses `WB_RATE_LIMITS`: comma-separated `group=N/period[:burst]`, e.g. `orders=1/1m:10,report=1/1m`.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(parsing text: String, variable: String = "WB_RATE_LIMITS") throws {
        let parsed = try RateSpec.parseList(text, groups: Group.allCases.map(\.rawValue), variable: variable)
        self.init(overrides: Dictionary(uniqueKeysWithValues: parsed.map { (Group(rawValue: $0.key)!, $0.value) }))
    }
}
