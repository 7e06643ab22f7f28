import FleetCore

extension WBClient {
    /// Where WB is and how patient the client is with it.
    ///
    /// - Configuration keys (environment):
    ///   - `WB_STATISTICS_URL` (default `https://statistics-api.wildberries.ru`): Statistics API base URL.
    ///   - `WB_FINANCE_URL` (default `https://finance-api.wildberries.ru`): finance-api base URL (2026 report).
    ///   - `WB_COMMON_URL` (default `https://common-api.wildberries.ru`): common-api base URL (acceptance
    ///     coefficients, box tariffs).
    ///   - `WB_REQUEST_TIMEOUT` (duration, default 120s): one request, body included.
    ///   - `WB_MAX_RETRIES` (int 0–20, default 5): retries of one page after 5xx, timeouts or malformed bodies.
    ///   - `WB_RETRY_BACKOFF` (duration, default 2s): first retry delay; doubles, with jitter, up to 60 s.
    ///   - `WB_MAX_INLINE_WAIT` (duration, default 90s): the longest rate-limit wait a sync sits through; a longer
    ///     one defers the job (without spending an attempt) until the limit allows.
    ///   - `WB_MAX_PAGE_BYTES` (int, default 536870912): the largest page body accepted.
    ///   - `WB_REPORT_PAGE_LIMIT` (int 1–100000, default 100000): `limit` of report requests.
    ///   - `WB_RATE_LIMITS` (default: WB's documented limits for the token's type): e.g. `orders=1/1m:10,report=1/1m`.
    public struct Configuration: Sendable {
        public var statisticsURL: String
        public var financeURL: String
        public var commonURL: String
        public var requestTimeout: Duration
        public var maxRetries: Int
        public var retryBackoff: Duration
        public var maxInlineWait: Duration
        public var maxPageBytes: Int
        public var reportPageLimit: Int
        public var rateLimits: WBRateLimits

        /// Production defaults.
        public init(
            statisticsURL: String = "https://statistics-api.wildberries.ru",
            financeURL: String = "https://finance-api.wildberries.ru",
            commonURL: String = "https://common-api.wildberries.ru",
            requestTimeout: Duration = .seconds(120),
            maxRetries: Int = 5,
            retryBackoff: Duration = .seconds(2),
            maxInlineWait: Duration = .seconds(90),
            maxPageBytes: Int = 512 << 20,
            reportPageLimit: Int = 100_000,
            rateLimits: WBRateLimits = WBRateLimits()
        ) {
            self.statisticsURL = statisticsURL
            self.financeURL = financeURL
            self.commonURL = commonURL
            self.requestTimeout = requestTimeout
            self.maxRetries = maxRetries
            self.retryBackoff = retryBackoff
            self.maxInlineWait = maxInlineWait
            self.maxPageBytes = maxPageBytes
            self.reportPageLimit = reportPageLimit
            self.rateLimits = rateLimits
        }

        /// Reads the keys above.
        /// - Throws: ``ConfigurationError`` naming the variable.
        public init(environment env: EnvironmentReader) throws {
            func url(_ name: String, _ fallback: String) throws -> String {
                let value = env.string(name, default: fallback)
                guard value.hasPrefix("http://") || value.hasPrefix("https://") else {
                    throw ConfigurationError(variable: name, value: value, expected: "an http(s) base URL")
                }
                return value.hasSuffix("/") ? String(value.dropLast()) : value
            }
            self.init(
                statisticsURL: try url("WB_STATISTICS_URL", "https://statistics-api.wildberries.ru"),
                financeURL: try url("WB_FINANCE_URL", "https://finance-api.wildberries.ru"),
                commonURL: try url("WB_COMMON_URL", "https://common-api.wildberries.ru"),
                requestTimeout: try env.duration("WB_REQUEST_TIMEOUT", default: .seconds(120), defaultUnit: .seconds),
                maxRetries: try env.int("WB_MAX_RETRIES", default: 5, range: 0...20),
                retryBackoff: try env.duration("WB_RETRY_BACKOFF", default: .seconds(2), defaultUnit: .seconds),
                maxInlineWait: try env.duration("WB_MAX_INLINE_WAIT", default: .seconds(90), defaultUnit: .seconds),
                maxPageBytes: try env.int("WB_MAX_PAGE_BYTES", default: 512 << 20, range: 1024...(4 << 30)),
                reportPageLimit: try env.int("WB_REPORT_PAGE_LIMIT", default: 100_000, range: 1...100_000),
                rateLimits: try env.string("WB_RATE_LIMITS").map { try WBRateLimits(parsing: $0) } ?? WBRateLimits()
            )
        }
    }
}
