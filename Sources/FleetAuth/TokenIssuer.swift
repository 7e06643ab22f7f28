import Crypto
import FleetCore
import FleetStore
import Foundation
import JWTKit

/// The claims of an access token: a standard JWT (HS256, `kid` in the header) any JOSE library verifies.
public struct AccessClaims: JWTPayload, Equatable {
    public var iss: IssuerClaim
    public var aud: AudienceClaim
    /// The user id.
    public var sub: SubjectClaim
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim
    public var jti: IDClaim
    /// The session (login) this token belongs to; revoking the session stops the token at once.
    public var sid: String
    /// The user's roles when the token was issued (informational: every request checks the current ones).
    public var roles: [String]
    /// Not before: this API never sets it, but a token that carries one is not valid before it.
    public var nbf: NotBeforeClaim?

    public func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}

/// Signs and verifies access tokens with the configured keys, and makes and hashes refresh tokens.
public struct TokenIssuer: Sendable {
    let keys: JWTKeyCollection
    /// The configured key ids: a token naming another is refused (JWTKit would try its default key instead).
    let keyIDs: Set<String>
    let activeKeyID: String
    let issuer: String
    let audience: String
    let accessTTL: Duration

    /// Loads HMAC `keys` (id and secret); tokens are signed with `activeKeyID` and carry `issuer`, `audience`
    /// and a lifetime of `accessTTL`. (The API builds one from `API_JWT_*`; the proxy edge from the same variables.)
    public init(keys configured: [(id: String, secret: [UInt8])], activeKeyID: String, issuer: String, audience: String, accessTTL: Duration) async {
        let keys = JWTKeyCollection()
        for key in configured {
            await keys.add(hmac: HMACKey(key: SymmetricKey(data: key.secret)), digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.id))
        }
        self.keys = keys
        keyIDs = Set(configured.map(\.id))
        self.activeKeyID = activeKeyID
        self.issuer = issuer
        self.audience = audience
        self.accessTTL = accessTTL
    }

    /// A signed access token for `session`.
    public func accessToken(userID: Int64, sessionID: UUID, roles: [UserRole], now: Date = Date()) async throws -> (token: String, expiresAt: Date) {
        // NumericDate in whole seconds: every JOSE library reads those.
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        let expires = now.addingTimeInterval(Double(accessTTL.components.seconds))
        let claims = AccessClaims(
            iss: .init(value: issuer),
            aud: .init(value: [audience]),
            sub: .init(value: String(userID)),
            iat: .init(value: now),
            exp: .init(value: expires),
            jti: .init(value: UUID().uuidString.lowercased()),
            sid: sessionID.uuidString.lowercased(),
            roles: roles.map(\.rawValue)
        )
        let token = try await keys.sign(claims, kid: JWKIdentifier(string: activeKeyID))
        return (token, expires)
    }

    /// The verified claims of `token`.
    /// - Throws: ``AuthError`` (unauthenticated) for a token that is malformed, signed with an unknown key, expired,
    ///   or not ours.
    public func verify(_ token: String) async throws -> (claims: AccessClaims, userID: Int64, sessionID: UUID) {
        guard Self.headerIsOurs(token, keyIDs: keyIDs) else {
            throw AuthError(.unauthenticated, "the access token names no key of this API (or another algorithm than HS256); sign in again")
        }
        let claims: AccessClaims
        do {
            claims = try await keys.verify(token, as: AccessClaims.self)
        } catch {
            throw AuthError(.unauthenticated, "the access token is invalid or expired; refresh it (POST /api/auth/refresh) or sign in again")
        }
        guard claims.iss.value == issuer, claims.aud.value.contains(audience), let userID = Int64(claims.sub.value),
            let sessionID = UUID(uuidString: claims.sid)
        else {
            throw AuthError(.unauthenticated, "the access token was not issued by this API; sign in again")
        }
        // This API issues tokens now, for its access lifetime: one issued in the future, or living longer, is forged
        // (or from a clock far off). A minute of leeway for clocks between replicas.
        let now = Date()
        let lifetime = claims.exp.value.timeIntervalSince(claims.iat.value)
        guard claims.iat.value <= now.addingTimeInterval(60), lifetime <= Double(accessTTL.components.seconds) + 1 else {
            throw AuthError(.unauthenticated, "the access token's times are not ones this API issues; sign in again")
        }
        return (claims, userID, sessionID)
    }

    /// Whether the JOSE header of `token` is what this API signs: `alg` HS256, a `kid` among `keyIDs`, no `crit`.
    static func headerIsOurs(_ token: String, keyIDs: Set<String>) -> Bool {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URL.decode(parts[0]),
            let header = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return false }
        guard header["alg"] as? String == "HS256", let kid = header["kid"] as? String, keyIDs.contains(kid), header["crit"] == nil else {
            return false
        }
        return true
    }

    /// A new opaque refresh token (256 random bits).
    public static func newRefreshToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return "rt1." + Base64URL.encode(Data(bytes))
    }

    /// What is stored of a refresh token: its SHA-256.
    public static func hash(refreshToken: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(refreshToken.utf8)))
    }
}
