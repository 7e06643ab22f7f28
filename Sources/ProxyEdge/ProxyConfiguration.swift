import AsyncHTTPClient
import Crypto
import FleetAuth
import FleetCore
import Foundation
import NIOHTTP1

/// How the proxy edge serves.
///
/// - Configuration keys (environment):
///   - `PROXY_HOST` (default `127.0.0.1`), `PROXY_PORT` (default `8090`; 0: any free port): where it listens.
///   - `PROXY_UPSTREAM` (default: none, WB itself over HTTPS): a base URL every WB host is sent to instead, with the
///     WB host in `Host` (the fake portal is host-routed: `joycity fake-wb-portal`).
///   - `PROXY_SIGN_IN_URL` (default `http://127.0.0.1:8080/sign-in`, the web UI's sign-in page): where a browser without a session is sent (with
///     `?next=` the page it asked for).
///   - `PROXY_ARTICLES_CACHE_TTL` (default `10s`): how long a user's articles are cached (every assignment change
///     drops them at once).
///   - `PROXY_MAX_BODY` (default `33554432`): the largest request or upstream response body.
///   - `PROXY_UPSTREAM_TIMEOUT` (default `30s`).
///   - `PROXY_UPSTREAM_CONNECTIONS` (default `64`): keep-alive connections per WB host (``ProxyServer``).
///   - `PROXY_CURSOR_KEY` (default: derived from the active `API_JWT_KEYS` secret, so replicas agree): base64 of 32
///     bytes sealing paging cursors that carry article ids.
///   - `PROXY_WB_REFRESH_AGE` (default `25m`): the age at which WB's access token (no `exp`) is refreshed through
///     `slide-v3`.
///   - `PROXY_WB_LK_MARGIN` (default `60s`): how long before its end the 300 s LK token is renewed.
///   - `PROXY_WB_LOCK` (default `15s`): how long one replica may hold an account's renewal (the others wait).
///   - `PROXY_STATIC_CACHE_BYTES` (default `16777216`, 0: off): memory for WB's public static assets
///     (``StaticCache``).
///   - `API_INTERNAL_SECRET` (default: none, `/__joycity__/validate` answers 404): the secret the API sends to have
///     portal credentials checked (the same variable as the API's).
///   - and the session settings the API reads (`API_JWT_KEYS`, … : ``SessionSettings``).
public struct ProxyConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var upstream: String?
    public var signInURL: String
    public var articlesCacheTTL: Duration
    public var maxBody: Int
    public var upstreamTimeout: Duration
    public var cursorKey: [UInt8]
    public var sessionRefreshAge: Duration
    public var lkMargin: Duration
    public var sessionLockTTL: Duration
    public var staticCacheBytes: Int
    public var internalSecret: String?
    public var session: SessionSettings

    /// Reads the keys above.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(environment env: EnvironmentReader) throws {
        host = env.string("PROXY_HOST", default: "127.0.0.1")
        port = try env.int("PROXY_PORT", default: 8090, range: 0...65535)
        upstream = env.string("PROXY_UPSTREAM").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let upstream, !(upstream.hasPrefix("http://") || upstream.hasPrefix("https://")) {
            throw ConfigurationError(variable: "PROXY_UPSTREAM", value: upstream, expected: "an http:// or https:// base URL")
        }
        signInURL = env.string("PROXY_SIGN_IN_URL", default: "http://127.0.0.1:8080/sign-in")
        articlesCacheTTL = try env.duration("PROXY_ARTICLES_CACHE_TTL", default: .seconds(10), defaultUnit: .seconds)
        maxBody = try env.int("PROXY_MAX_BODY", default: 32 << 20, range: 1024...(1 << 30))
        upstreamTimeout = try env.duration("PROXY_UPSTREAM_TIMEOUT", default: .seconds(30), defaultUnit: .seconds)
        sessionRefreshAge = try env.duration("PROXY_WB_REFRESH_AGE", default: .seconds(1500), defaultUnit: .seconds)
        lkMargin = try env.duration("PROXY_WB_LK_MARGIN", default: .seconds(60), defaultUnit: .seconds)
        sessionLockTTL = try env.duration("PROXY_WB_LOCK", default: .seconds(15), defaultUnit: .seconds)
        staticCacheBytes = try env.int("PROXY_STATIC_CACHE_BYTES", default: 16 << 20, range: 0...(1 << 32))
        internalSecret = env.string("API_INTERNAL_SECRET")
        if let secret = internalSecret, secret.utf8.count < 32 {
            throw ConfigurationError(variable: "API_INTERNAL_SECRET", value: "(hidden)", expected: "at least 32 characters (openssl rand -hex 32)")
        }
        let session = try SessionSettings(environment: env)
        self.session = session
        if let text = env.string("PROXY_CURSOR_KEY") {
            guard let key = Data(base64Encoded: text), key.count == 32 else {
                throw ConfigurationError(variable: "PROXY_CURSOR_KEY", value: "(hidden)", expected: "base64 of 32 bytes (openssl rand -base64 32)")
            }
            cursorKey = Array(key)
        } else {
            let secret = session.jwtKeys.first { $0.id == session.jwtActiveKeyID }?.secret ?? []
            cursorKey = Array(SHA256.hash(data: Array("joycity.proxy.cursor".utf8) + secret))
        }
    }

    /// The URL a request for `host` and `pathAndQuery` goes to.
    func upstreamURL(host: String, pathAndQuery: String) -> String { (upstream ?? "https://\(host)") + pathAndQuery }

    /// A request to WB's `host` as the portal's own pages send it: to ``upstreamURL(host:pathAndQuery:)`` (with the
    /// WB host in `Host` when an upstream stands in), `Origin` and `Referer` the SPA shell's.
    func upstreamRequest(host: String, pathAndQuery: String, method: HTTPMethod) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: upstreamURL(host: host, pathAndQuery: pathAndQuery))
        request.method = method
        if upstream != nil { request.headers.replaceOrAdd(name: "Host", value: host) }
        request.headers.replaceOrAdd(name: "Origin", value: "https://seller.wildberries.ru")
        request.headers.replaceOrAdd(name: "Referer", value: "https://seller.wildberries.ru/")
        return request
    }
}
