import AsyncHTTPClient
import FleetCore
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import Queue

/// The WB Statistics (and finance-api) client the sync runs on.
///
/// Every request first takes a unit from the fleet-wide limiter (Redis, keyed by seller id and method group), so any
/// number of workers together stay inside WB's per-seller limits. Then: 429 → the whole fleet holds off for
/// `X-Ratelimit-Retry` and the request is sent again; 5xx, timeouts, broken connections and malformed bodies →
/// bounded retries with jittered exponential backoff; 401 → ``WBError/tokenRejected(_:)`` with WB's detail.
///
/// ```swift
/// let client = WBClient(configuration: try .init(environment: env), limiter: limiter, logger: logger)
/// let page = try await client.orders(token: token, dateFrom: "2026-09-01T00:00:00")
/// ```
public struct WBClient: Sendable {
    /// One page of rows, or the end of the data (WB's 204 or `[]`).
    public enum Page: Sendable {
        case rows(ByteBuffer)
        case end
    }

    /// A token with its decoded claims.
    public struct Credentials: Sendable {
        public var raw: String
        public var claims: WBToken
        public init(raw: String, claims: WBToken) {
            self.raw = raw
            self.claims = claims
        }
    }

    public let configuration: Configuration
    public let limiter: RateLimiter
    public let logger: Logger
    let http: HTTPClient

    /// Creates a client on `HTTPClient.shared`.
    public init(configuration: Configuration, limiter: RateLimiter, logger: Logger, http: HTTPClient = .shared) {
        self.configuration = configuration
        self.limiter = limiter
        self.logger = logger
        self.http = http
    }

    /// `GET /api/v1/supplier/orders?dateFrom=…&flag=0`: orders changed at or after `dateFrom` (MSK).
    public func orders(_ credentials: Credentials, dateFrom: String) async throws -> Page {
        try await send(.orders, credentials) {
            HTTPClientRequest(url: "\(configuration.statisticsURL)/api/v1/supplier/orders?dateFrom=\(Self.encode(dateFrom))&flag=0")
        }
    }

    /// `GET /api/v1/supplier/sales?dateFrom=…&flag=0`: sales and returns changed at or after `dateFrom` (MSK).
    public func sales(_ credentials: Credentials, dateFrom: String) async throws -> Page {
        try await send(.sales, credentials) {
            HTTPClientRequest(url: "\(configuration.statisticsURL)/api/v1/supplier/sales?dateFrom=\(Self.encode(dateFrom))&flag=0")
        }
    }

    /// `GET /api/v5/supplier/reportDetailByPeriod`: report rows of `dateFrom…dateTo` after `rrdid`.
    public func reportDetail(_ credentials: Credentials, dateFrom: String, dateTo: String, rrdid: Int64) async throws -> Page {
        try await send(.report, credentials) {
            HTTPClientRequest(
                url:
                    "\(configuration.statisticsURL)/api/v5/supplier/reportDetailByPeriod?dateFrom=\(Self.encode(dateFrom))&dateTo=\(Self.encode(dateTo))&rrdid=\(rrdid)&limit=\(configuration.reportPageLimit)"
            )
        }
    }

    /// `POST finance-api /api/finance/v1/sales-reports/detailed` (2026 successor; camelCase, money as strings).
    public func financeDetailed(_ credentials: Credentials, dateFrom: String, dateTo: String, rrdid: Int64) async throws -> Page {
        try await send(.finance, credentials) {
            var request = HTTPClientRequest(url: "\(configuration.financeURL)/api/finance/v1/sales-reports/detailed")
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            let body =
                #"{"dateFrom":"\#(dateFrom)","dateTo":"\#(dateTo)","limit":\#(configuration.reportPageLimit),"rrdId":\#(rrdid),"period":"weekly"}"#
            request.body = .bytes(ByteBuffer(string: body))
            return request
        }
    }

    // MARK: sending

    /// Sends with the group's fleet-wide budget, retries and throttling (see the type). `object`: the method answers
    /// a JSON object, not an array (returned whole as `.rows`).
    func send(
        _ group: WBRateLimits.Group,
        _ credentials: Credentials,
        object: Bool = false,
        _ makeRequest: () -> HTTPClientRequest
    ) async throws -> Page {
        let limit = configuration.rateLimits.limit(for: group, kind: credentials.claims.kind)
        let limiterKey = "wb:\(credentials.claims.sellerID):\(group.rawValue)"
        var failures = 0
        var throttles = 0
        while true {
            try await takeBudget(limiterKey, limit)
            var request = makeRequest()
            request.headers.add(name: "Authorization", value: credentials.raw)
            request.headers.add(name: "Accept", value: "application/json")
            let problem: String
            do {
                let response = try await http.execute(request, timeout: .nanoseconds(configuration.requestTimeout.nanoseconds))
                let status = Int(response.status.code)
                switch status {
                case 204:
                    return .end
                case 200:
                    let body = try await response.body.collect(upTo: configuration.maxPageBytes)
                    switch Self.shape(of: body) {
                    case .empty: return .end
                    case .array: return .rows(body)
                    case .object where object: return .rows(body)
                    case .object: problem = "HTTP 200 with a body that is not a JSON array"
                    case .other(let what): problem = "HTTP 200 with \(what)"
                    }
                case 401:
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throw WBError.tokenRejected(Self.detail(body) ?? "HTTP 401 without a detail")
                case 429:
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throttles += 1
                    let header = response.headers.first(name: "X-Ratelimit-Retry").flatMap { Double($0) }
                    let wait = header.map { Duration.milliseconds(Int64(($0 * 1000).rounded(.up))) } ?? backoff(throttles)
                    // Everyone sending for this seller and group holds off, not only this worker.
                    try await limiter.hold(key: limiterKey, for: wait, limit: limit.limit, per: limit.period, burst: limit.burst)
                    let detail = Self.detail(body) ?? "too many requests"
                    logger.info("WB rate limit hit", metadata: ["wb.group": "\(group.rawValue)", "wb.retry": "\(wait)"])
                    if wait > configuration.maxInlineWait || throttles > 50 { throw WBError.rateLimited(retryAfter: wait, detail: detail) }
                    try await Task.sleep(for: wait)
                    continue
                case 500...599:
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    problem = "HTTP \(status)"
                default:
                    let body = try await response.body.collect(upTo: 1 << 20)
                    throw WBError.rejected(status: status, body: String(buffer: body))
                }
            } catch let error as WBError {
                throw error
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                problem = String(describing: error)
            }
            failures += 1
            if failures > configuration.maxRetries {
                if problem.hasPrefix("HTTP 200") { throw WBError.malformedResponse("\(problem) (\(failures) tries)") }
                throw WBError.unavailable("\(problem) (\(failures) tries)")
            }
            let delay = backoff(failures)
            logger.info("WB request failed; retrying", metadata: ["wb.group": "\(group.rawValue)", "error": "\(problem)", "retry.in": "\(delay)"])
            try await Task.sleep(for: delay)
        }
    }

    /// Waits for a unit of the fleet-wide budget, or gives up when the wait is longer than the inline limit.
    func takeBudget(_ key: String, _ limit: WBRateLimits.Limit) async throws {
        while true {
            let wait = try await limiter.acquire(key: key, limit: limit.limit, per: limit.period, burst: limit.burst)
            if wait == .zero { return }
            if wait > configuration.maxInlineWait {
                throw WBError.rateLimited(retryAfter: wait, detail: "fleet-wide budget \(limit) for \(key) is spent")
            }
            try await Task.sleep(for: wait)
        }
    }

    /// Exponential backoff with full jitter, capped at 60 s (also what a sync waits before fetching a malformed page again).
    public func backoff(_ failures: Int) -> Duration {
        retryBackoff.delay(afterFailures: failures)
    }

    /// The backoff behind ``backoff(_:)``: `WB_RETRY_BACKOFF` doubling to 60 s, equal jitter.
    public var retryBackoff: Backoff {
        Backoff(base: max(.milliseconds(1), configuration.retryBackoff), cap: .seconds(60), jitter: .equal)
    }

    enum Shape: Equatable {
        case empty, array, object
        case other(String)
    }

    /// A cheap structural check (PostgreSQL parses the whole page when it stores it).
    static func shape(of body: ByteBuffer) -> Shape {
        let view = body.readableBytesView
        guard let first = view.firstIndex(where: { !isSpace($0) }), let last = view.lastIndex(where: { !isSpace($0) }) else {
            return .other("an empty body")
        }
        if view[first] == UInt8(ascii: "{") { return view[last] == UInt8(ascii: "}") ? .object : .other("a truncated JSON object") }
        guard view[first] == UInt8(ascii: "[") else { return .other("a body that is not a JSON array") }
        guard view[last] == UInt8(ascii: "]") else { return .other("a truncated JSON array") }
        if let inner = view[(first + 1)...].firstIndex(where: { !isSpace($0) }), inner == last { return .empty }
        return .array
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// WB's problem+json `detail`, or a 400 body's `errors`.
    static func detail(_ body: ByteBuffer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] else {
            let text = String(buffer: body)
            return text.isEmpty ? nil : String(text.prefix(300))
        }
        if let detail = object["detail"] as? String { return detail }
        if let title = object["title"] as? String { return title }
        return nil
    }

    static func encode(_ value: String) -> String {
        value.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "+&=:"))) ?? value
    }
}
