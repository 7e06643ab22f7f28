import FleetCore
import Foundation

/// What the fake WB serves and how strict it is.
///
/// - Configuration keys (environment):
///   - `FAKE_WB_HOST` / `FAKE_WB_PORT` (default 127.0.0.1 / 8091): where `joycity fake-wb` listens.
///   - `FAKE_WB_ACCOUNTS` (int, default 3): sellers with generated data.
///   - `FAKE_WB_DAYS` (int, default 30): days of history, ending today (MSK).
///   - `FAKE_WB_ORDERS_PER_DAY` (int, default 20): orders per seller per day (half become sales; each sale gives
///     report rows, plus weekly service rows with `nm_id` 0).
///   - `FAKE_WB_PAGE_CAP` (int, default 80000): rows per orders/sales response (WB's "conditional limit").
///   - `FAKE_WB_REPORT_CAP` (int, default 100000): rows per report response, whatever `limit` asks.
///   - `FAKE_WB_REPORT_END` (`204` or `empty-array`, default 204): how the report says "no more data".
///   - `FAKE_WB_RATE_LIMITS` (default: WB's documented limits for Personal tokens): `orders=1/1m:10,sales=1/1m,…`;
///     groups orders, sales, report, finance, ping.
///   - `FAKE_WB_FAULTS` (default none): random faults, e.g. `500=0.1,slow=0.05,truncate=0.05`; `FAKE_WB_SLOW`
///     (duration, default 3s) is how long a slow response stalls.
///   - `FAKE_WB_SECRET` (default a fixed development secret): HMAC key the fake signs and checks its tokens with.
///   - `FAKE_WB_SEED` (int, default 1): seed of the generated data and the fault dice.
public struct FakeWBConfiguration: Sendable {
    /// One limit: `limit` per `period`, bucket of `burst`.
    public typealias Limit = RateSpec

    /// Random faults, as probabilities per data request.
    public struct Faults: Sendable, Equatable {
        public var serverError: Double = 0
        public var slow: Double = 0
        public var truncate: Double = 0
        public var slowDelay: Duration = .seconds(3)
        public init(serverError: Double = 0, slow: Double = 0, truncate: Double = 0, slowDelay: Duration = .seconds(3)) {
            self.serverError = serverError
            self.slow = slow
            self.truncate = truncate
            self.slowDelay = slowDelay
        }
    }

    public enum ReportEnd: String, Sendable {
        case noContent = "204"
        case emptyArray = "empty-array"
    }

    public var host = "127.0.0.1"
    public var port = 8091
    public var accounts = 3
    public var days = 30
    public var ordersPerDay = 20
    public var pageCap = 80_000
    public var reportCap = 100_000
    public var reportEnd = ReportEnd.noContent
    public var limits: [String: Limit] = FakeWBConfiguration.documentedLimits
    public var faults = Faults()
    public var secret = "joycity-fake-wb-development-secret"
    public var seed: UInt64 = 1

    /// WB's documented limits for Personal/Service tokens (WB-API.md §1.5 and §3: acceptance coefficients 6/min,
    /// box tariffs 60/min) and `/ping`'s 3 per 30 s.
    public static let documentedLimits: [String: Limit] = [
        "orders": Limit(1, per: .seconds(60), burst: 10), "sales": Limit(1, per: .seconds(60)), "report": Limit(1, per: .seconds(60)),
        "finance": Limit(1, per: .seconds(60)), "ping": Limit(3, per: .seconds(30), burst: 3),
        "acceptance": Limit(6, per: .seconds(60), burst: 6), "tariffs": Limit(60, per: .seconds(60), burst: 60),
    ]

    /// Defaults.
    public init() {}

    /// Reads the keys above. - Throws: ``ConfigurationError`` naming the variable.
    public init(environment env: EnvironmentReader) throws {
        host = env.string("FAKE_WB_HOST", default: host)
        port = try env.int("FAKE_WB_PORT", default: port, range: 0...65535)
        accounts = try env.int("FAKE_WB_ACCOUNTS", default: accounts, range: 0...10_000)
        days = try env.int("FAKE_WB_DAYS", default: days, range: 1...365)
        ordersPerDay = try env.int("FAKE_WB_ORDERS_PER_DAY", default: ordersPerDay, range: 0...1_000_000)
        pageCap = try env.int("FAKE_WB_PAGE_CAP", default: pageCap, range: 1...1_000_000)
        reportCap = try env.int("FAKE_WB_REPORT_CAP", default: reportCap, range: 1...1_000_000)
        if let end = env.string("FAKE_WB_REPORT_END") {
            guard let value = ReportEnd(rawValue: end) else {
                throw ConfigurationError(variable: "FAKE_WB_REPORT_END", value: end, expected: "204 or empty-array")
            }
            reportEnd = value
        }
        if let text = env.string("FAKE_WB_RATE_LIMITS") { limits = try Self.parseLimits(text, variable: "FAKE_WB_RATE_LIMITS", base: limits) }
        if let text = env.string("FAKE_WB_FAULTS") { faults = try Self.parseFaults(text) }
        faults.slowDelay = try env.duration("FAKE_WB_SLOW", default: faults.slowDelay, defaultUnit: .seconds)
        secret = env.string("FAKE_WB_SECRET", default: secret)
        seed = UInt64(try env.int("FAKE_WB_SEED", default: 1, range: 0...Int.max))
    }

    /// Parses `group=N/period[:burst],…` over `base`.
    public static func parseLimits(_ text: String, variable: String, base: [String: Limit] = documentedLimits) throws -> [String: Limit] {
        base.merging(
            try RateSpec.parseList(text, groups: ["orders", "sales", "report", "finance", "ping", "acceptance", "tariffs"], variable: variable)
        ) { _, new in new }
    }

    static func parseFaults(_ text: String) throws -> Faults {
        var faults = Faults()
        for item in text.split(separator: ",") {
            let pair = item.split(separator: "=").map(String.init)
            guard pair.count == 2, let p = Double(pair[1]), (0...1).contains(p) else {
                throw ConfigurationError(
                    variable: "FAKE_WB_FAULTS",
                    value: text,
                    expected: "comma-separated kind=probability with kind 500, slow or truncate"
                )
            }
            switch pair[0] {
            case "500": faults.serverError = p
            case "slow": faults.slow = p
            case "truncate": faults.truncate = p
            default: throw ConfigurationError(variable: "FAKE_WB_FAULTS", value: text, expected: "kinds 500, slow, truncate")
            }
        }
        return faults
    }
}
