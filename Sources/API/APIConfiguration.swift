import FleetAuth
import FleetCore
import FleetHTTP
import Foundation

/// How the API serves: where it listens, its tokens, cookies, limits and where the optional parts live.
///
/// - Configuration keys (environment):
///   - `API_HOST` (default `127.0.0.1`), `API_PORT` (default `8080`; 0: any free port): where it listens (`0.0.0.0` in containers).
///   - `API_JWT_KEYS` (required): comma-separated `kid:base64` HMAC secrets of at least 32 bytes
///     (`openssl rand -base64 32`). Tokens are signed HS256 with `API_JWT_KEY_ID` (default: the first) and verified
///     with whichever key their `kid` names, so keys rotate: add the new one, make it active, drop the old one after
///     `API_ACCESS_TTL`.
///   - `API_JWT_ISSUER` (default `joycity`), `API_JWT_AUDIENCE` (default `joycity`): `iss` and `aud` claims.
///   - `API_ACCESS_TTL` (default `2h`), `API_REFRESH_TTL` (default `30d`): token lifetimes.
///   - `API_SESSION_CACHE_TTL` (default `30s`): how long a session check is cached in Redis (a revocation takes
///     effect at once regardless: it overwrites the cache).
///   - `API_REFRESH_REUSE_GRACE` (default `10s`): a rotated refresh token presented again within this time (two
///     tabs refreshing at once) is refused without ending the session; later, it ends the session (theft).
///   - `API_COOKIE_DOMAIN` (default: none, host-only cookies): e.g. `.example.com` so the API, the web UI and the
///     proxy edge on sibling subdomains share the session.
///   - `API_COOKIE_SECURE` (default `true`): the `Secure` attribute (browsers accept it on http://localhost).
///   - `API_COOKIE_SAMESITE` (default `Lax`): `Strict`, `Lax` or `None`.
///   - `API_ALLOWED_ORIGINS` (default `http://localhost:8080,http://127.0.0.1:8080`): origins whose cookie-authenticated
///     state-changing requests are accepted (CSRF). `https://*.example.com` admits every subdomain.
///   - `API_TRUSTED_PROXIES` (default: none): comma-separated addresses or CIDR ranges (`10.0.0.0/8`) of reverse
///     proxies whose `X-Forwarded-For` names the client (for login limits and the session list).
///   - `API_LOGIN_LIMIT_ACCOUNT` (default `5/15m:5`), `API_LOGIN_LIMIT_IP` (default `30/15m:30`),
///     `API_LOGIN_LIMIT_ACCOUNT_GLOBAL` (default `100/15m:100`): password attempts per account and client address,
///     per address, and per account over all addresses (addresses that signed in to it before are exempt from that
///     ceiling), `N/period[:burst]`, shared by every API replica through Redis.
///   - `API_BCRYPT_COST` (int 4–16, default `12`): password hashing cost.
///   - `API_MAX_BODY` (default `1048576`): largest JSON request body in bytes.
///   - `API_AVATAR_MAX_BYTES` (default `262144`): largest avatar upload; avatars are JPEG of at most 512×512.
///   - `API_PROXY_URL` (default: none): the proxy edge's base URL; when set, portal credentials are checked against
///     WB through it (`POST /__joycity__/validate`, with `API_INTERNAL_SECRET`) before they are stored, and stored
///     as WB rotated them. Without it they are stored unchecked.
///   - `API_INTERNAL_SECRET` (default: none, `/internal` answers 404 to everyone): the proxy edge's shared secret,
///     sent as `X-Internal-Secret`; at least 32 characters.
///   - `API_REQUEST_TIMEOUT` (default `30s`): the longest a request may take; past it the caller gets 503 (a
///     dependency is down) instead of waiting.
///   - `API_SWAGGER_UI_DIR` (default `~/.cache/joycity/swagger-ui`, installed by scripts/install-deps.sh): Swagger UI
///     assets served at `/api/swagger-ui`.
///   - `API_HSTS_MAX_AGE` (default `31536000`, one year; `0` sends none): `Strict-Transport-Security` on every
///     response (browsers honour it over HTTPS only, so it is harmless on a plain-HTTP laptop run).
///   - `API_IDLE_TIMEOUT` (default `60s`): a connection with no request in flight for this long is closed.
///   - `API_HEADER_TIMEOUT` (default `10s`): a request whose head (request line and headers) does not arrive in
///     full within this long gets 408 and the connection is closed (slowloris).
///   - `API_BODY_TIMEOUT` (default `30s`): a body that stops arriving for this long gets 408.
///   - `API_MAX_CONNECTIONS` (default `1024`): open connections per process; past it new ones wait in the listen
///     backlog until one closes.
public struct APIConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Token keys, claims, the access-token lifetime and the session cache (read by the proxy edge alike).
    public var session: SessionSettings
    public var refreshTTL: Duration
    public var refreshReuseGrace: Duration
    public var cookieDomain: String?
    public var cookieSecure: Bool
    public var cookieSameSite: String
    public var allowedOrigins: [String]
    public var trustedProxies: AddressSet
    public var loginLimitPerAccount: RateSpec
    public var loginLimitPerIP: RateSpec
    /// Password attempts per account over all addresses (addresses that signed in to it before are exempt).
    public var loginLimitPerAccountGlobal: RateSpec
    public var bcryptCost: Int
    public var maxBody: Int
    public var avatarMaxBytes: Int
    public var internalSecret: String?
    /// The proxy edge that checks portal credentials against WB before they are stored (`API_PROXY_URL`).
    public var proxyURL: String?
    public var swaggerUIDirectory: String
    public var requestTimeout: Duration
    public var hstsMaxAge: Int
    public var idleTimeout: Duration
    public var headerTimeout: Duration
    public var bodyTimeout: Duration
    public var maxConnections: Int

    /// Reads the keys above.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(environment env: EnvironmentReader) throws {
        host = env.string("API_HOST", default: "127.0.0.1")
        port = try env.int("API_PORT", default: 8080, range: 0...65535)
        session = try SessionSettings(environment: env)
        refreshTTL = try env.duration("API_REFRESH_TTL", default: .seconds(30 * 86400), defaultUnit: .seconds)
        refreshReuseGrace = try env.duration("API_REFRESH_REUSE_GRACE", default: .seconds(10), defaultUnit: .seconds)
        if refreshTTL < .seconds(1) {
            throw ConfigurationError(variable: "API_REFRESH_TTL", value: "\(refreshTTL)", expected: "at least 1s")
        }
        if refreshTTL <= session.accessTTL {
            throw ConfigurationError(variable: "API_REFRESH_TTL", value: "\(refreshTTL)", expected: "longer than API_ACCESS_TTL")
        }
        cookieDomain = env.string("API_COOKIE_DOMAIN")
        if let domain = cookieDomain, domain.contains(where: { $0 == ";" || $0 == "," || $0 == " " || $0 == "/" }) {
            throw ConfigurationError(variable: "API_COOKIE_DOMAIN", value: domain, expected: "a domain such as .example.com")
        }
        cookieSecure = try env.bool("API_COOKIE_SECURE", default: true)
        let sameSite = env.string("API_COOKIE_SAMESITE", default: "Lax")
        guard let canonical = ["Strict", "Lax", "None"].first(where: { $0.lowercased() == sameSite.lowercased() }) else {
            throw ConfigurationError(variable: "API_COOKIE_SAMESITE", value: sameSite, expected: "Strict, Lax or None")
        }
        if canonical == "None" && !cookieSecure {
            throw ConfigurationError(
                variable: "API_COOKIE_SAMESITE",
                value: sameSite,
                expected: "Strict or Lax when API_COOKIE_SECURE=false (browsers drop SameSite=None without Secure)"
            )
        }
        cookieSameSite = canonical
        allowedOrigins = env.string("API_ALLOWED_ORIGINS", default: "http://localhost:8080,http://127.0.0.1:8080")
            .split(separator: ",").map { String($0).trimmingSpaces().lowercased() }.filter { !$0.isEmpty }
        for origin in allowedOrigins where !(origin.hasPrefix("http://") || origin.hasPrefix("https://")) || origin.hasSuffix("/") {
            throw ConfigurationError(
                variable: "API_ALLOWED_ORIGINS",
                value: origin,
                expected: "origins such as https://app.example.com or https://*.example.com (no path)"
            )
        }
        let proxies = env.string("API_TRUSTED_PROXIES", default: "")
        do {
            trustedProxies = try AddressSet(parsing: proxies)
        } catch {
            throw ConfigurationError(
                variable: "API_TRUSTED_PROXIES",
                value: proxies,
                expected: "IP addresses or CIDR ranges, comma-separated (\(error))"
            )
        }
        func rate(_ name: String, _ fallback: String) throws -> RateSpec {
            let text = env.string(name, default: fallback)
            guard let spec = RateSpec(parsing: text) else {
                throw ConfigurationError(variable: name, value: text, expected: "N/period[:burst], e.g. 5/15m:5")
            }
            return spec
        }
        loginLimitPerAccount = try rate("API_LOGIN_LIMIT_ACCOUNT", "5/15m:5")
        loginLimitPerIP = try rate("API_LOGIN_LIMIT_IP", "30/15m:30")
        loginLimitPerAccountGlobal = try rate("API_LOGIN_LIMIT_ACCOUNT_GLOBAL", "100/15m:100")
        bcryptCost = try env.int("API_BCRYPT_COST", default: 12, range: 4...16)
        maxBody = try env.int("API_MAX_BODY", default: 1 << 20, range: 1024...(64 << 20))
        avatarMaxBytes = try env.int("API_AVATAR_MAX_BYTES", default: 256 << 10, range: 1024...(16 << 20))
        internalSecret = env.string("API_INTERNAL_SECRET")
        if let secret = internalSecret, secret.utf8.count < 32 {
            throw ConfigurationError(variable: "API_INTERNAL_SECRET", value: "(hidden)", expected: "at least 32 characters (openssl rand -hex 32)")
        }
        proxyURL = env.string("API_PROXY_URL").map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        if let proxyURL {
            guard proxyURL.hasPrefix("http://") || proxyURL.hasPrefix("https://") else {
                throw ConfigurationError(
                    variable: "API_PROXY_URL",
                    value: proxyURL,
                    expected: "the proxy edge's base URL, e.g. http://127.0.0.1:8090"
                )
            }
            guard internalSecret != nil else {
                throw ConfigurationError(
                    variable: "API_INTERNAL_SECRET",
                    value: "(unset)",
                    expected: "the secret the API and the proxy edge share; API_PROXY_URL needs it (openssl rand -hex 32)"
                )
            }
        }
        requestTimeout = try env.duration("API_REQUEST_TIMEOUT", default: .seconds(30), defaultUnit: .seconds)
        if requestTimeout < .seconds(1) {
            throw ConfigurationError(variable: "API_REQUEST_TIMEOUT", value: "\(requestTimeout)", expected: "at least 1s")
        }
        hstsMaxAge = try env.int("API_HSTS_MAX_AGE", default: 31_536_000, range: 0...(2 * 31_536_000))
        idleTimeout = try env.duration("API_IDLE_TIMEOUT", default: .seconds(60), defaultUnit: .seconds)
        headerTimeout = try env.duration("API_HEADER_TIMEOUT", default: .seconds(10), defaultUnit: .seconds)
        bodyTimeout = try env.duration("API_BODY_TIMEOUT", default: .seconds(30), defaultUnit: .seconds)
        for (name, value) in [("API_IDLE_TIMEOUT", idleTimeout), ("API_HEADER_TIMEOUT", headerTimeout), ("API_BODY_TIMEOUT", bodyTimeout)]
        where value < .milliseconds(100) {
            throw ConfigurationError(variable: name, value: "\(value)", expected: "at least 100ms")
        }
        maxConnections = try env.int("API_MAX_CONNECTIONS", default: 1024, range: 1...1_000_000)
        let home = env.string("HOME", default: "/root")
        swaggerUIDirectory = env.string("API_SWAGGER_UI_DIR", default: "\(home)/.cache/joycity/swagger-ui")
    }

    /// Whether `origin` (an `Origin` header value) may send cookie-authenticated state-changing requests.
    public func allowsOrigin(_ origin: String) -> Bool {
        let origin = origin.lowercased()
        return allowedOrigins.contains { allowed in
            if let star = allowed.range(of: "://*.") {
                let scheme = allowed[..<star.lowerBound]
                let suffix = allowed[star.upperBound...]
                guard origin.hasPrefix(scheme + "://") else { return false }
                let host = origin.dropFirst(scheme.count + 3)
                return host.hasSuffix("." + suffix)
            }
            return allowed == origin
        }
    }
}
