import FleetCore
import FleetStore
import Logging
import PostgresNIO
import Queue

/// How access tokens are signed and sessions checked: what the API (which issues them) and the proxy edge (which
/// checks a browser's session cookie) read alike, from the same variables.
///
/// - Configuration keys (environment):
///   - `API_JWT_KEYS` (required): comma-separated `kid:base64` HMAC secrets of at least 32 bytes.
///   - `API_JWT_KEY_ID` (default: the first kid): the key new tokens are signed with.
///   - `API_JWT_ISSUER`, `API_JWT_AUDIENCE` (default `joycity`): the `iss` and `aud` claims.
///   - `API_ACCESS_TTL` (default `2h`): access-token lifetime.
///   - `API_SESSION_CACHE_TTL` (default `30s`): how long a session check is cached in Redis.
public struct SessionSettings: Sendable {
    public var jwtKeys: [(id: String, secret: [UInt8])]
    public var jwtActiveKeyID: String
    public var issuer: String
    public var audience: String
    public var accessTTL: Duration
    public var sessionCacheTTL: Duration

    /// Reads the keys above.
    /// - Throws: ``ConfigurationError`` naming the variable.
    public init(environment env: EnvironmentReader) throws {
        let expected = "comma-separated kid:base64 pairs with distinct kids, each secret at least 32 bytes (openssl rand -base64 32)"
        guard let keys = try env.keyList("API_JWT_KEYS", accepts: { $0 >= 32 }, expected: expected) else {
            throw ConfigurationError(
                variable: "API_JWT_KEYS",
                value: "",
                expected: "comma-separated kid:base64 secrets of at least 32 bytes, e.g. k1:$(openssl rand -base64 32)"
            )
        }
        guard Set(keys.map(\.id)).count == keys.count else {
            throw ConfigurationError(variable: "API_JWT_KEYS", value: "(hidden)", expected: expected)
        }
        guard let first = keys.first else {
            throw ConfigurationError(variable: "API_JWT_KEYS", value: "(hidden)", expected: "at least one kid:base64 secret")
        }
        jwtKeys = keys.map { (id: $0.id, secret: $0.key) }
        let active = env.string("API_JWT_KEY_ID", default: first.id)
        guard keys.contains(where: { $0.id == active }) else {
            throw ConfigurationError(variable: "API_JWT_KEY_ID", value: active, expected: "one of the kids in API_JWT_KEYS")
        }
        jwtActiveKeyID = active
        issuer = env.string("API_JWT_ISSUER", default: "joycity")
        audience = env.string("API_JWT_AUDIENCE", default: "joycity")
        accessTTL = try env.duration("API_ACCESS_TTL", default: .seconds(7200), defaultUnit: .seconds)
        sessionCacheTTL = try env.duration("API_SESSION_CACHE_TTL", default: .seconds(30), defaultUnit: .seconds)
        for (name, value) in [("API_ACCESS_TTL", accessTTL), ("API_SESSION_CACHE_TTL", sessionCacheTTL)] where value < .seconds(1) {
            throw ConfigurationError(variable: name, value: "\(value)", expected: "at least 1s")
        }
    }

    /// The user and session stores on `postgres` (sessions sealed with these keys) and the session gate over them,
    /// caching in `redis` under `prefix`.
    public func sessionGate(
        redis: RedisClient,
        prefix: String,
        postgres: PostgresClient,
        logger: Logger
    ) -> (
        users: UserStore, sessions: SessionStore, gate: SessionGate
    ) {
        let users = UserStore(client: postgres, logger: logger)
        let sessions = SessionStore(client: postgres, logger: logger, seal: SessionSeal(keys: jwtKeys, activeKeyID: jwtActiveKeyID))
        let gate = SessionGate(
            redis: redis,
            prefix: prefix,
            sessions: sessions,
            users: users,
            cacheTTL: sessionCacheTTL,
            revokedTTL: accessTTL,
            logger: logger
        )
        return (users, sessions, gate)
    }

    /// The token issuer these settings describe.
    public func tokenIssuer() async -> TokenIssuer {
        await TokenIssuer(keys: jwtKeys, activeKeyID: jwtActiveKeyID, issuer: issuer, audience: audience, accessTTL: accessTTL)
    }
}
