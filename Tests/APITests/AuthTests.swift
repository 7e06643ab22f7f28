import API
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import PostgresNIO
import Queue
import Testing

@Suite("Sign-in, tokens and sessions", .serialized)
struct AuthTests {
    @Test("login sets HttpOnly, Secure, SameSite cookies on the parent domain; bearer and cookie both authenticate")
    func loginCookies() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let reply = try await api.call(
                .POST,
                "/api/auth/login",
                json: #"{"login":"ROOT@example.test","password":"\#(APIHarness.adminPassword)"}"#
            )
            #expect(reply.status == 200)
            #expect(reply.json["refreshToken"] == nil, "the refresh token stays in its HttpOnly cookie unless asked for")
            let cookies = reply.setCookies
            let access = try #require(cookies["joycity_access"])
            let refresh = try #require(cookies["joycity_refresh"])
            // Attributes in any order: the set after the name=value pair.
            func attributes(_ cookie: String) -> Set<String> {
                Set(cookie.split(separator: ";").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) })
            }
            for cookie in [access, refresh] {
                #expect(attributes(cookie).isSuperset(of: ["HttpOnly", "Secure", "SameSite=Lax", "Domain=.example.test"]))
            }
            #expect(attributes(access).isSuperset(of: ["Max-Age=7200", "Path=/"]))
            #expect(attributes(refresh).isSuperset(of: ["Max-Age=2592000", "Path=/api/auth"]))
            let token = try #require(reply.json["accessToken"] as? String)
            #expect(try await api.call(.GET, "/api/auth/me", token: token).json["login"] as? String == "root")
            let cookieValue = String(access.dropFirst("joycity_access=".count).prefix { $0 != ";" })
            #expect(try await api.call(.GET, "/api/auth/me", cookies: "joycity_access=\(cookieValue)").status == 200)
            #expect(try await api.call(.GET, "/api/auth/me").status == 401)
            #expect(try await api.call(.GET, "/api/auth/me", token: "not-a-token").status == 401)
        }
    }

    @Test("a failed login says the same for a wrong password, an unknown login and a disabled user")
    func genericFailure() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            #expect(try await api.call(.PATCH, "/api/users/\(anna.userID)", token: admin.token, json: #"{"disabled":true}"#).status == 200)
            var messages: Set<String> = []
            for (login, password) in [("root", "wrong-password-1"), ("nobody", "whatever-123"), ("anna", "user-password-1")] {
                let reply = try await api.call(.POST, "/api/auth/login", json: #"{"login":"\#(login)","password":"\#(password)"}"#)
                #expect(reply.status == 401)
                messages.insert(reply.errorMessage)
            }
            #expect(messages == ["the login or password is wrong"])
            // The disabled user's session ended with the change.
            #expect(try await api.call(.GET, "/api/auth/me", token: anna.token).status == 401)
        }
    }

    @Test("login attempts are limited per login and per address, across API replicas (Redis)")
    func loginRateLimits() async throws {
        try await APIHarness.run(["API_LOGIN_LIMIT_ACCOUNT": "3/1m:3", "API_LOGIN_LIMIT_IP": "8/1m:8"]) { api in
            _ = try await api.admin()  // one attempt of root's 3 and the address's 8
            for _ in 0..<2 {
                #expect(try await api.call(.POST, "/api/auth/login", json: #"{"login":"root","password":"wrong-password-1"}"#).status == 401)
            }
            let limited = try await api.call(.POST, "/api/auth/login", json: #"{"login":"root","password":"\#(APIHarness.adminPassword)"}"#)
            #expect(limited.status == 429, "even the right password waits once the login's budget is spent")
            #expect(Int(limited.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            #expect(limited.errorMessage.contains("this login"))
            // Other logins from the same address: 4 attempts already spent, 4 more allowed, then the address is limited.
            var statuses: [Int] = []
            for index in 0..<6 {
                statuses.append(
                    try await api.call(.POST, "/api/auth/login", json: #"{"login":"someone\#(index)","password":"wrong-password-1"}"#).status
                )
            }
            #expect(statuses == [401, 401, 401, 401, 429, 429])
        }
    }

    @Test("refresh rotates the token; a rotated token presented again ends the session and its access token at once")
    func refreshRotationAndReuse() async throws {
        try await APIHarness.run(["API_REFRESH_REUSE_GRACE": "0s"]) { api in
            _ = try await api.admin()
            let session = try await api.login("root", APIHarness.adminPassword)
            let first = try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(session.refresh)"}"#)
            #expect(first.status == 200)
            let rotated = try #require(first.json["refreshToken"] as? String)
            let newAccess = try #require(first.json["accessToken"] as? String)
            #expect(rotated != session.refresh)
            #expect(first.setCookies["joycity_refresh"]?.contains(rotated) == true)
            #expect(try await api.call(.GET, "/api/auth/me", token: newAccess).status == 200)
            // The old token again: theft. The whole session (family) ends, new tokens included.
            let reuse = try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(session.refresh)"}"#)
            #expect(reuse.status == 401)
            #expect(reuse.errorMessage.contains("already used"))
            #expect(try await api.call(.GET, "/api/auth/me", token: newAccess).status == 401)
            #expect(try await api.call(.GET, "/api/auth/me", token: session.token).status == 401)
            #expect(try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(rotated)"}"#).status == 401)
            // Another login is unaffected.
            let other = try await api.login("root", APIHarness.adminPassword)
            #expect(try await api.call(.GET, "/api/auth/me", token: other.token).status == 200)
        }
    }

    @Test("two refreshes racing within the grace period: the loser is refused, the session lives on")
    func refreshGrace() async throws {
        try await APIHarness.run(["API_REFRESH_REUSE_GRACE": "60s"]) { api in
            _ = try await api.admin()
            let session = try await api.login("root", APIHarness.adminPassword)
            let first = try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(session.refresh)"}"#)
            #expect(first.status == 200)
            let second = try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(session.refresh)"}"#)
            #expect(second.status == 401)
            #expect(second.errorMessage.contains("newer one"))
            let access = try #require(first.json["accessToken"] as? String)
            #expect(try await api.call(.GET, "/api/auth/me", token: access).status == 200)
        }
    }

    @Test("refresh from the cookie: needs an allowed Origin (CSRF), sets both cookies anew")
    func refreshWithCookie() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let session = try await api.login("root", APIHarness.adminPassword)
            let cookie = "joycity_refresh=\(session.refresh)"
            #expect(try await api.call(.POST, "/api/auth/refresh", cookies: cookie).status == 403)
            #expect(try await api.call(.POST, "/api/auth/refresh", cookies: cookie, headers: [("Origin", "https://evil.example")]).status == 403)
            let ok = try await api.call(.POST, "/api/auth/refresh", cookies: cookie, headers: [("Origin", APIHarness.origin)])
            #expect(ok.status == 200)
            #expect(ok.json["refreshToken"] == nil)
            #expect(ok.setCookies.keys.sorted() == ["joycity_access", "joycity_refresh"])
        }
    }

    @Test("logout ends the session at once: its access token stops, the cookies are cleared")
    func logout() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let session = try await api.login("root", APIHarness.adminPassword)
            #expect(try await api.call(.GET, "/api/auth/me", token: session.token).status == 200)  // cached as live
            let out = try await api.call(.POST, "/api/auth/logout", token: session.token)
            #expect(out.status == 204)
            #expect(out.setCookies["joycity_access"]?.contains("Max-Age=0") == true)
            #expect(try await api.call(.GET, "/api/auth/me", token: session.token).status == 401)
            #expect(try await api.call(.POST, "/api/auth/refresh", json: #"{"refreshToken":"\#(session.refresh)"}"#).status == 401)
        }
    }

    @Test("sessions: list own, revoke one, revoke all others; an admin revokes a user's; each stops at once")
    func sessions() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let laptop = try await api.user("anna", [.manager])
            let phone = try await api.login("anna", "user-password-1", device: "phone")
            let tablet = try await api.login("anna", "user-password-1", device: "tablet")
            let list = try await api.call(.GET, "/api/auth/sessions", token: laptop.token)
            #expect(list.items.count == 3)
            #expect(list.items.filter { $0["current"] as? Bool == true }.count == 1)
            #expect(Set(list.items.compactMap { $0["device"] as? String }).isSuperset(of: ["phone", "tablet"]))
            let phoneID = try #require(list.items.first { $0["device"] as? String == "phone" }?["id"] as? String)
            #expect(try await api.call(.DELETE, "/api/auth/sessions/\(phoneID)", token: laptop.token).status == 204)
            #expect(try await api.call(.GET, "/api/auth/me", token: phone.token).status == 401)
            #expect(try await api.call(.DELETE, "/api/auth/sessions/\(phoneID)", token: laptop.token).status == 404)
            let others = try await api.call(.POST, "/api/auth/sessions/revoke-others", token: laptop.token)
            #expect(others.json["revoked"] as? Int == 1)
            #expect(try await api.call(.GET, "/api/auth/me", token: tablet.token).status == 401)
            #expect(try await api.call(.GET, "/api/auth/me", token: laptop.token).status == 200)
            // Someone else's session id is not yours to revoke.
            let adminSessions = try await api.call(.GET, "/api/auth/sessions", token: admin.token)
            let adminSession = try #require(adminSessions.items.first?["id"] as? String)
            #expect(try await api.call(.DELETE, "/api/auth/sessions/\(adminSession)", token: laptop.token).status == 404)
            // The admin sees and ends anna's sessions.
            #expect(try await api.call(.GET, "/api/users/\(laptop.userID)/sessions", token: admin.token).items.count == 1)
            #expect(try await api.call(.POST, "/api/users/\(laptop.userID)/sessions/revoke", token: admin.token).json["revoked"] as? Int == 1)
            #expect(try await api.call(.GET, "/api/auth/me", token: laptop.token).status == 401)
        }
    }

    @Test("change own password: the current one is required; other sessions end, this one stays")
    func changePassword() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let here = try await api.user("anna", [.manager])
            let elsewhere = try await api.login("anna", "user-password-1")
            let wrong = try await api.call(
                .POST,
                "/api/auth/password",
                token: here.token,
                json: #"{"currentPassword":"nope-nope-nope","newPassword":"brand-new-password"}"#
            )
            #expect(wrong.status == 422)
            let short = try await api.call(
                .POST,
                "/api/auth/password",
                token: here.token,
                json: #"{"currentPassword":"user-password-1","newPassword":"short"}"#
            )
            #expect(short.status == 400)
            #expect(short.errorMessage.contains("at least 10"))
            let ok = try await api.call(
                .POST,
                "/api/auth/password",
                token: here.token,
                json: #"{"currentPassword":"user-password-1","newPassword":"brand-new-password"}"#
            )
            #expect(ok.status == 200)
            #expect(ok.json["revoked"] as? Int == 1)
            #expect(try await api.call(.GET, "/api/auth/me", token: elsewhere.token).status == 401)
            #expect(try await api.call(.GET, "/api/auth/me", token: here.token).status == 200)
            #expect(try await api.call(.POST, "/api/auth/login", json: #"{"login":"anna","password":"user-password-1"}"#).status == 401)
            _ = try await api.login("anna", "brand-new-password")
        }
    }

    @Test("CSRF: a cookie-authenticated change needs an allowed Origin; bearer requests do not")
    func csrf() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let body = #"{"name":"Root Admin"}"#
            #expect(try await api.call(.PATCH, "/api/auth/me", cookies: admin.cookieHeader, json: body).status == 403)
            let foreign = try await api.call(
                .PATCH,
                "/api/auth/me",
                cookies: admin.cookieHeader,
                json: body,
                headers: [("Origin", "https://evil.example")]
            )
            #expect(foreign.status == 403)
            #expect(foreign.errorMessage.contains("CSRF"))
            #expect(
                try await api.call(.PATCH, "/api/auth/me", cookies: admin.cookieHeader, json: body, headers: [("Referer", "https://evil.example/x")])
                    .status == 403
            )
            #expect(
                try await api.call(.PATCH, "/api/auth/me", cookies: admin.cookieHeader, json: body, headers: [("Origin", APIHarness.origin)]).status
                    == 200
            )
            #expect(
                try await api.call(
                    .PATCH,
                    "/api/auth/me",
                    cookies: admin.cookieHeader,
                    json: body,
                    headers: [("Referer", APIHarness.origin + "/settings")]
                ).status == 200
            )
            #expect(try await api.call(.GET, "/api/auth/me", cookies: admin.cookieHeader).status == 200, "reads need no Origin")
            #expect(try await api.call(.PATCH, "/api/auth/me", token: admin.token, json: body).status == 200)
            // Login from a foreign page is refused too (login CSRF).
            let login = try await api.call(
                .POST,
                "/api/auth/login",
                json: #"{"login":"root","password":"\#(APIHarness.adminPassword)"}"#,
                headers: [("Origin", "https://evil.example")]
            )
            #expect(login.status == 403)
        }
    }

    @Test("guesses from other addresses cannot lock the owner out; a global ceiling still stops a spread-out attack")
    func noLockoutByOthers() async throws {
        try await APIHarness.run([
            "API_TRUSTED_PROXIES": "127.0.0.1", "API_LOGIN_LIMIT_ACCOUNT": "3/15m:3", "API_LOGIN_LIMIT_ACCOUNT_GLOBAL": "6/15m:6",
        ]) { api in
            _ = try await api.admin()  // root signs in from 127.0.0.1 (no X-Forwarded-For): a known address now
            func attempt(_ from: String?, _ password: String) async throws -> Int {
                try await api.call(
                    .POST,
                    "/api/auth/login",
                    json: #"{"login":"root","password":"\#(password)"}"#,
                    headers: from.map { [("X-Forwarded-For", $0)] } ?? []
                ).status
            }
            // One address: its own budget of 3, then 429.
            var one: [Int] = []
            for _ in 0..<4 { one.append(try await attempt("203.0.113.1", "wrong-password-1")) }
            #expect(one == [401, 401, 401, 429], "\(one)")
            // Spread over addresses, the account's ceiling of 6 stops them.
            var spread: [Int] = []
            for index in 2..<6 { spread.append(try await attempt("203.0.113.\(index)", "wrong-password-1")) }
            #expect(spread == [401, 401, 429, 429], "\(spread)")  // 4 of the 6 were spent above
            // The owner, from the address they signed in from before, still gets in; a new address does not.
            #expect(try await attempt(nil, APIHarness.adminPassword) == 200)
            #expect(try await attempt("198.51.100.7", APIHarness.adminPassword) == 429)
        }
    }

    @Test("a role change is not undone by a session check that read the old roles and fills the cache after it")
    func roleChangeBeatsALateCacheFill() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            // A manager may not read seller accounts; the check is cached now.
            #expect(try await api.call(.GET, "/api/accounts", token: anna.token).status == 403)
            let payload = anna.token.split(separator: ".")[1]
            let data = try #require(Base64URL.decode(payload))
            let claims = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            let sid = try #require(claims?["sid"] as? String)
            let prefix = try #require(api.environment["QUEUE_PREFIX"])
            let key = "\(prefix):api:session:\(sid)"
            let redis = api.server.api.queue.redis
            // What a check that read PostgreSQL before the change would write after it.
            let old = try #require(try await redis.send(RedisCommand("GET", key)).string)
            #expect(try await api.call(.PATCH, "/api/users/\(anna.userID)", token: admin.token, json: #"{"roles":["ANALYST"]}"#).status == 200)
            let late = try await redis.send(RedisCommand("SET", key, old, "PX", "30000", "NX"))
            #expect(late.string == nil, "the late fill must not land")
            // The request is checked with the roles she has now (an analyst reads accounts).
            #expect(try await api.call(.GET, "/api/accounts", token: anna.token).status == 200)
        }
    }

    @Test("ended sessions are pruned after the keep period; live ones stay")
    func pruning() async throws {
        try await APIHarness.run { api in
            _ = try await api.admin()
            let live = try await api.login("root", APIHarness.adminPassword)
            let ended = try await api.login("root", APIHarness.adminPassword)
            #expect(try await api.call(.POST, "/api/auth/logout", token: ended.token).status == 204)
            let sessions = SessionStore(client: api.owner, logger: TestRedis.logger)
            #expect(try await sessions.prune(keep: .seconds(3600)) == 0, "revoked just now: kept for the keep period")
            try await api.owner.query(
                "UPDATE auth_sessions SET revoked_at = now() - interval '2 hours' WHERE revoked_at IS NOT NULL",
                logger: TestRedis.logger
            )
            #expect(try await sessions.prune(keep: .seconds(3600)) == 1)
            #expect(try await api.call(.GET, "/api/auth/me", token: live.token).status == 200)
        }
    }

    @Test("CORS: the web UI's origin may call with credentials (preflight answered); other origins get no CORS headers")
    func cors() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let preflight = try await api.call(
                .OPTIONS,
                "/api/auth/me",
                headers: [
                    ("Origin", APIHarness.origin), ("Access-Control-Request-Method", "PATCH"), ("Access-Control-Request-Headers", "content-type"),
                ]
            )
            #expect(preflight.status == 204)
            #expect(preflight.headers.first(name: "Access-Control-Allow-Origin") == APIHarness.origin)
            #expect(preflight.headers.first(name: "Access-Control-Allow-Credentials") == "true")
            #expect(preflight.headers.first(name: "Access-Control-Allow-Methods")?.contains("PATCH") == true)
            let call = try await api.call(.GET, "/api/auth/me", cookies: admin.cookieHeader, headers: [("Origin", APIHarness.origin)])
            #expect(call.status == 200)
            #expect(call.headers.first(name: "Access-Control-Allow-Origin") == APIHarness.origin)
            let foreign = try await api.call(.GET, "/api/auth/me", cookies: admin.cookieHeader, headers: [("Origin", "https://evil.example")])
            #expect(foreign.headers.first(name: "Access-Control-Allow-Origin") == nil)
            let foreignPreflight = try await api.call(
                .OPTIONS,
                "/api/auth/me",
                headers: [("Origin", "https://evil.example"), ("Access-Control-Request-Method", "PATCH")]
            )
            #expect(foreignPreflight.headers.first(name: "Access-Control-Allow-Origin") == nil)
        }
    }
}
