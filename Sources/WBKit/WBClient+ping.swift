import AsyncHTTPClient
import FleetCore
import Foundation
import NIOCore
import NIOHTTP1
import Queue

extension WBClient {
    /// The `/ping` budget WB documents: 3 requests per 30 seconds per host.
    static let pingLimit = RateSpec(3, per: .seconds(30), burst: 3)

    /// `GET <statistics host>/ping`: checks that WB accepts `credentials` for the Statistics category. Stays inside
    /// WB's `/ping` budget fleet-wide, waiting up to `maxWait` for it.
    /// - Throws: ``WBError`` `tokenRejected` with WB's detail (401), `rateLimited` (429 or the budget is spent),
    ///   `unavailable` (5xx, timeouts, refused connections), `rejected` for other statuses.
    public func ping(_ credentials: Credentials, maxWait: Duration = .seconds(10)) async throws {
        let key = "wb:\(credentials.claims.sellerID):ping"
        let limit = Self.pingLimit
        let deadline = ContinuousClock.now + maxWait
        while true {
            let wait = try await limiter.acquire(key: key, limit: limit.limit, per: limit.period, burst: limit.burst)
            if wait == .zero { break }
            if ContinuousClock.now + wait > deadline {
                throw WBError.rateLimited(retryAfter: wait, detail: "WB allows 3 token checks per 30 seconds")
            }
            try await Task.sleep(for: wait)
        }
        var request = HTTPClientRequest(url: "\(configuration.statisticsURL)/ping")
        request.headers.add(name: "Authorization", value: credentials.raw)
        request.headers.add(name: "Accept", value: "application/json")
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request, timeout: .seconds(15))
        } catch {
            throw WBError.unavailable("the Statistics API at \(configuration.statisticsURL) could not be reached: \(error)")
        }
        let body = try? await response.body.collect(upTo: 1 << 20)
        switch response.status.code {
        case 200:
            return
        case 401:
            throw WBError.tokenRejected(body.flatMap(Self.detail) ?? "HTTP 401 without a detail")
        case 429:
            let retry = response.headers.first(name: "X-Ratelimit-Retry").flatMap(Double.init) ?? 30
            throw WBError.rateLimited(
                retryAfter: .milliseconds(Int64((retry * 1000).rounded(.up))),
                detail: body.flatMap(Self.detail) ?? "too many requests"
            )
        case 500...599:
            throw WBError.unavailable("HTTP \(response.status.code) from /ping")
        default:
            throw WBError.rejected(status: Int(response.status.code), body: body.map { String(buffer: $0) } ?? "")
        }
    }
}
