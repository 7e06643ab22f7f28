import API
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import Testing

@Suite("Access tokens are standard JWTs", .serialized)
struct TokenTests {
    /// Verifies `token` with PyJWT (an independent JOSE implementation) and returns its claims as JSON.
    static func pyjwt(_ token: String, secret: String) throws -> (status: Int32, output: String) {
        let script = """
            import base64, json, sys, jwt
            token, secret = sys.argv[1], base64.b64decode(sys.argv[2])
            header = jwt.get_unverified_header(token)
            claims = jwt.decode(token, secret, algorithms=["HS256"], audience="joycity", issuer="joycity",
                                options={"require": ["exp", "iat", "sub", "iss", "aud"]})
            print(json.dumps({"header": header, "claims": claims}))
            """
        return try runPython(script, arguments: [token, secret])
    }

    @Test("PyJWT verifies an access token: HS256, kid, iss, aud, sub, exp two hours after iat, sid")
    func verifiedByPyJWT() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let (status, output) = try Self.pyjwt(admin.token, secret: APIHarness.jwtSecret)
            #expect(status == 0, "PyJWT refused the token: \(output)")
            let parsed = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            let header = try #require(parsed["header"] as? [String: Any])
            let claims = try #require(parsed["claims"] as? [String: Any])
            #expect(header["alg"] as? String == "HS256")
            #expect(header["kid"] as? String == "k1")
            #expect(claims["sub"] as? String == String(admin.userID))
            let iat = try #require((claims["iat"] as? NSNumber)?.doubleValue)
            let exp = try #require((claims["exp"] as? NSNumber)?.doubleValue)
            #expect(exp - iat == 7200)
            #expect(iat == iat.rounded())
            #expect(UUID(uuidString: claims["sid"] as? String ?? "") != nil)
            // A token with a tampered payload fails PyJWT as it fails the API.
            let parts = admin.token.split(separator: ".")
            let forged = [
                parts[0], Substring(Data(#"{"sub":"2","exp":9999999999}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")),
                parts[2],
            ].joined(separator: ".")
            #expect(try Self.pyjwt(forged, secret: APIHarness.jwtSecret).status != 0)
            #expect(try await api.call(.GET, "/api/auth/me", token: forged).status == 401)
        }
    }

    @Test("key rotation by kid: a new active key signs, the old one still verifies until it is dropped")
    func keyRotation() async throws {
        let newSecret = Data(repeating: 99, count: 32).base64EncodedString()
        try await APIHarness.run { api in
            let admin = try await api.admin()
            // A second API instance over the same database and Redis with the rotated key set.
            let rotated = try await APIServer.make(
                environment: .init(
                    values: api.environment.merging(["API_JWT_KEYS": "k2:\(newSecret),k1:\(APIHarness.jwtSecret)", "API_JWT_KEY_ID": "k2"]) { $1 }
                ),
                logger: TestRedis.logger
            )
            let old = try await rotated.api.tokens.verify(admin.token)
            #expect(old.userID == admin.userID)
            let fresh = try await rotated.api.tokens.accessToken(userID: admin.userID, sessionID: old.sessionID, roles: [.admin])
            let (status, output) = try Self.pyjwt(fresh.token, secret: newSecret)
            #expect(status == 0, "\(output)")
            #expect(output.contains(#""kid": "k2""#))
            // Once k1 is dropped, its tokens fail.
            let dropped = try await APIServer.make(
                environment: .init(values: api.environment.merging(["API_JWT_KEYS": "k2:\(newSecret)"]) { $1 }),
                logger: TestRedis.logger
            )
            await #expect(throws: AuthError.self) { try await dropped.api.tokens.verify(admin.token) }
            // And the running API (k1 only) refuses k2's tokens.
            #expect(try await api.call(.GET, "/api/auth/me", token: fresh.token).status == 401)
        }
    }
}
