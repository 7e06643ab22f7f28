/// A request budget: `limit` per `period`, with bursts of up to `burst` after a quiet spell. Written `N/period[:burst]`
/// (`1/1m:10` = one a minute, ten at once), as in `WB_RATE_LIMITS` and `FAKE_WB_RATE_LIMITS`.
public struct RateSpec: Sendable, Equatable, CustomStringConvertible {
    public var limit: Int
    public var period: Duration
    public var burst: Int

    /// Creates a budget.
    public init(_ limit: Int, per period: Duration, burst: Int = 1) {
        self.limit = limit
        self.period = period
        self.burst = burst
    }

    /// Parses `N/period[:burst]` (a bare period number is seconds); nil when it is not one.
    public init?(parsing text: String) {
        let rateAndBurst = text.split(separator: ":").map(String.init)
        guard (1...2).contains(rateAndBurst.count) else { return nil }
        let rate = rateAndBurst[0].split(separator: "/").map(String.init)
        guard rate.count == 2, let n = Int(rate[0]), n >= 1, let period = DurationParser.parse(rate[1], defaultUnit: .seconds), period > .zero,
            let burst = rateAndBurst.count == 2 ? Int(rateAndBurst[1]) : 1, burst >= 1
        else { return nil }
        self.init(n, per: period, burst: burst)
    }

    /// Parses `group=N/period[:burst],…` where every group is one of `groups`.
    /// - Throws: ``ConfigurationError`` naming `variable`.
    public static func parseList(_ text: String, groups: [String], variable: String) throws -> [String: RateSpec] {
        var result: [String: RateSpec] = [:]
        let expected = "comma-separated group=N/period[:burst], group one of \(groups.joined(separator: ", ")) (e.g. \(groups[0])=1/1m:10)"
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map { String($0).trimmingSpaces() }
            guard pair.count == 2, groups.contains(pair[0]), let spec = RateSpec(parsing: pair[1]) else {
                throw ConfigurationError(variable: variable, value: text, expected: expected)
            }
            result[pair[0]] = spec
        }
        return result
    }

    public var description: String { "\(limit)/\(period.components.seconds)s burst \(burst)" }
}
