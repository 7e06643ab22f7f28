import API
import FleetAuth
import FleetCore
import FleetHTTP
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import PostgresNIO
import Testing

/// What an attacker's probe of the API found, each closed.
@Suite("API hardening", .serialized)
struct HardeningTests {
    /// Re-signs the claims of `token` with PyJWT (or Python's hmac for a lying header) under `header`.
    static func resign(_ token: String, header: String, secret: String = APIHarness.jwtSecret) throws -> String {
        let script = """
            import base64, hmac, hashlib, sys
            token, header, secret = sys.argv[1], sys.argv[2], base64.b64decode(sys.argv[3])
            b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            signing = b64(header.encode()) + "." + token.split(".")[1]
            print(signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest()))
            """
        let (status, output) = try runPython(script, arguments: [token, header, secret])
        guard status == 0 else { throw TestSetupError("re-signing with Python failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("a token whose kid names no configured key, that has no kid, or whose header lies about its algorithm is refused")
    func tokenHeaders() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let honest = try Self.resign(admin.token, header: #"{"alg":"HS256","kid":"k1","typ":"JWT"}"#)
            #expect(try await api.call(.GET, "/api/auth/me", token: honest).status == 200, "the re-signing itself works")
            for header in [
                #"{"alg":"HS256","kid":"nope","typ":"JWT"}"#, #"{"alg":"HS256","typ":"JWT"}"#, #"{"alg":"HS512","kid":"k1","typ":"JWT"}"#,
                #"{"alg":"RS256","kid":"k1"}"#, #"{"alg":"HS256","kid":"k1","crit":["exp"]}"#,
            ] {
                let forged = try Self.resign(admin.token, header: header)
                #expect(try await api.call(.GET, "/api/auth/me", token: forged).status == 401, "\(header)")
            }
        }
    }

    /// Re-signs `token` (HS256, its own header) with `changes` (a JSON object) merged into its claims.
    static func resign(_ token: String, claims changes: String, secret: String = APIHarness.jwtSecret) throws -> String {
        let script = """
            import base64, hmac, hashlib, json, sys
            token, changes, secret = sys.argv[1], json.loads(sys.argv[2]), base64.b64decode(sys.argv[3])
            b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
            header, payload, _ = token.split(".")
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            claims.update(changes)
            signing = header + "." + b64(json.dumps(claims).encode())
            print(signing + "." + b64(hmac.new(secret, signing.encode(), hashlib.sha256).digest()))
            """
        let (status, output) = try runPython(script, arguments: [token, changes, secret])
        guard status == 0 else { throw TestSetupError("re-signing with Python failed: \(output)") }
        return output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test("correctly signed tokens with times this API never issues, or naming another user's session, are refused; the session lives on")
    func tokenClaims() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let now = Int(Date().timeIntervalSince1970)
            let same = try Self.resign(admin.token, claims: "{}")
            #expect(try await api.call(.GET, "/api/auth/me", token: same).status == 200, "the re-signing itself works")
            for changes in [
                #"{"nbf":\#(now + 3600)}"#,  // not valid yet
                #"{"iat":\#(now + 3600),"exp":\#(now + 7200)}"#,  // issued in the future
                #"{"iat":\#(now),"exp":\#(now + 3 * 86400)}"#,  // lives far longer than API_ACCESS_TTL
                #"{"sub":"\#(anna.userID)"}"#,  // anna's id on the admin's session
            ] {
                let forged = try Self.resign(admin.token, claims: changes)
                #expect(try await api.call(.GET, "/api/auth/me", token: forged).status == 401, "\(changes)")
            }
            // None of them ended the real session, nor anna's.
            #expect(try await api.call(.GET, "/api/auth/me", token: admin.token).status == 200)
            #expect(try await api.call(.GET, "/api/auth/me", token: anna.token).status == 200)
        }
    }

    @Test("a password needs 10 characters, not bytes, and more than bcrypt's 72 bytes is refused, not cut")
    func passwordLength() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            for (index, password) in ["😀😀😀", "ééééé", "密码密码", String(repeating: "a", count: 73), String(repeating: "é", count: 37)].enumerated() {
                let reply = try await api.call(
                    .POST,
                    "/api/users",
                    token: admin.token,
                    json: #"{"login":"short\#(index)","name":"S","password":"\#(password)","roles":[]}"#
                )
                #expect(reply.status == 400, "\(password): \(reply.status)")
            }
            for (index, password) in [String(repeating: "😀", count: 10), String(repeating: "密", count: 10), String(repeating: "a", count: 72)]
                .enumerated()
            {
                let reply = try await api.call(
                    .POST,
                    "/api/users",
                    token: admin.token,
                    json: #"{"login":"long\#(index)","name":"L","password":"\#(password)","roles":[]}"#
                )
                #expect(reply.status == 201, "\(password): \(reply.status)")
            }
        }
    }

    @Test("a statement PostgreSQL refuses (a missing table) is a 500 naming the request id, and the log names PostgreSQL's error")
    func statementFailure() async throws {
        let capture = LogCapture()
        try await APIHarness.run(logger: capture.logger) { api in
            let admin = try await api.admin()
            #expect(try await api.call(.GET, "/api/accounts", token: admin.token).status == 200)
            try await api.owner.query("ALTER TABLE seller_accounts RENAME TO seller_accounts_gone", logger: TestRedis.logger)
            let reply = try await api.call(.GET, "/api/accounts", token: admin.token)
            #expect(reply.status == 500, "\(reply.status) \(reply.errorMessage)")
            let id = reply.headers["X-Request-Id"].first ?? "?"
            #expect(reply.errorMessage.contains(id) && !reply.errorMessage.contains("seller_accounts"), "\(reply.errorMessage)")
            let logged = capture.messages.filter { $0.contains("refused a statement") }
            #expect(logged.count == 1 && logged[0].contains("42P01") && logged[0].contains(id), "\(logged)")
            try await api.owner.query("ALTER TABLE seller_accounts_gone RENAME TO seller_accounts", logger: TestRedis.logger)
        }
    }

    @Test("with S3 down, an avatar upload answers 503 without S3's address or the object key")
    func avatarDependencyDetails() async throws {
        try await APIHarness.run(["S3_ENDPOINT": "http://127.0.0.1:9", "API_REQUEST_TIMEOUT": "5s"]) { api in
            let anna = try await api.user("anna", [.manager])
            let reply = try await api.call(.PUT, "/api/auth/me/avatar", token: anna.token, bytes: AvatarTests.jpeg(width: 32, height: 32))
            #expect(reply.status == 503, "\(reply.status)")
            #expect(!reply.text.contains("127.0.0.1") && !reply.text.contains("avatars/") && !reply.text.contains(":9"), "\(reply.text)")
        }
    }

    @Test("trusted proxies are addresses or CIDR ranges, IPv4 and IPv6; anything else is refused at start")
    func trustedProxyRanges() throws {
        let set = try AddressSet(parsing: "10.0.0.0/8, 192.168.1.7, fd00::/8, 172.16.0.0/12")
        for inside in ["10.0.0.1", "10.255.3.4", "192.168.1.7", "fd12::1", "172.31.255.255"] { #expect(set.contains(inside), "\(inside)") }
        for outside in ["11.0.0.1", "192.168.1.8", "fe80::1", "172.32.0.1", "not an address", ""] { #expect(!set.contains(outside), "\(outside)") }
        #expect(try AddressSet(parsing: "").isEmpty)
        for bad in ["10.0.0.0/33", "example.com", "10.0.0/8", "::/129"] {
            #expect(throws: AddressSet.ParseError.self, "\(bad)") { try AddressSet(parsing: bad) }
        }
        #expect(throws: ConfigurationError.self) {
            try APIConfiguration(environment: .init(values: ["API_JWT_KEYS": "k1:\(APIHarness.jwtSecret)", "API_TRUSTED_PROXIES": "proxy.local"]))
        }
    }

    @Test("behind a trusted proxy range the per-address limit counts each client, not the proxy")
    func limitThroughAProxy() async throws {
        try await APIHarness.run(["API_TRUSTED_PROXIES": "127.0.0.0/8", "API_LOGIN_LIMIT_IP": "2/15m:2"]) { api in
            func attempt(_ client: String) async throws -> Int {
                try await api.call(
                    .POST,
                    "/api/auth/login",
                    json: #"{"login":"nobody","password":"wrong-password-1"}"#,
                    headers: [("X-Forwarded-For", "\(client), 127.0.0.5")]  // a client, then a second proxy hop
                ).status
            }
            var first: [Int] = []
            for _ in 0..<3 { first.append(try await attempt("203.0.113.10")) }
            #expect(first == [401, 401, 429], "\(first)")
            // Another client through the same proxy has a budget of its own.
            #expect(try await attempt("203.0.113.11") == 401)
        }
    }

    @Test("guessing the current password is limited per account, and sign-in by login and by email share one budget")
    func passwordGuessing() async throws {
        try await APIHarness.run(["API_LOGIN_LIMIT_ACCOUNT": "3/15m:3"]) { api in
            _ = try await api.admin()
            let anna = try await api.user("anna", [.manager])
            let guess = #"{"currentPassword":"wrong-guess-123","newPassword":"brand-new-password"}"#
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await api.call(.POST, "/api/auth/password", token: anna.token, json: guess).status) }
            // Signing in drew one from anna's budget already.
            #expect(statuses == [422, 422, 429, 429], "\(statuses)")

            let hash = try await PasswordHasher.hash("bob-password-1", cost: 4)
            _ = try await UserStore(client: api.owner, logger: TestRedis.logger).create(
                login: "bob",
                email: "bob@example.test",
                name: "Bob",
                passwordHash: hash,
                roles: [.manager],
                accountID: nil
            )
            var signIns: [Int] = []
            for login in ["bob", "bob@example.test", "BOB@example.test", "bob"] {
                signIns.append(try await api.call(.POST, "/api/auth/login", json: #"{"login":"\#(login)","password":"wrong-wrong-1"}"#).status)
            }
            #expect(signIns == [401, 401, 401, 429], "\(signIns)")
        }
    }

    @Test("/internal answers 404 whatever the method without the secret; with it, a wrong method is 405")
    func internalIsHidden() async throws {
        try await APIHarness.run { api in
            for method in [HTTPMethod.POST, .PUT, .DELETE, .GET] {
                let reply = try await api.call(method, "/internal/accounts/1/portal-credentials")
                #expect(reply.status == (method == .GET ? 404 : 404) && reply.headers["Allow"].isEmpty, "\(method): \(reply.status)")
            }
            #expect(try await api.call(.GET, "/internal/session").status == 404)
            let wrongMethod = try await api.call(.GET, "/internal/session", headers: [("X-Internal-Secret", APIHarness.internalSecret)])
            #expect(wrongMethod.status == 405 && wrongMethod.headers["Allow"] == ["POST"])
        }
    }

    @Test("every response carries nosniff, HSTS, framing refusal and a CSP; errors too; CORS headers reach error bodies")
    func securityHeaders() async throws {
        try await APIHarness.run { api in
            for path in ["/api/health", "/api/no-such-thing", "/api/auth/me"] {
                let reply = try await api.call(.GET, path, headers: [("Origin", APIHarness.origin)])
                #expect(reply.headers["X-Content-Type-Options"] == ["nosniff"], "\(path)")
                #expect(reply.headers["Strict-Transport-Security"].first?.hasPrefix("max-age=31536000") == true, "\(path)")
                #expect(reply.headers["X-Frame-Options"] == ["DENY"], "\(path)")
                #expect(reply.headers["Content-Security-Policy"].first?.contains("frame-ancestors 'none'") == true, "\(path)")
                #expect(reply.headers["Access-Control-Allow-Origin"] == [APIHarness.origin], "\(path): \(reply.status)")
            }
            let admin = try await api.admin()
            let swagger = try await api.user("sam", [.swagger])
            _ = admin
            let page = try await api.call(.GET, "/api/swagger-ui", token: swagger.token)
            if page.status == 200 {
                let policy = page.headers["Content-Security-Policy"].first ?? ""
                #expect(policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
                #expect(page.headers["X-Frame-Options"] == ["DENY"])
            } else {
                // Without the Swagger UI files installed the page is a 503 that still carries the headers.
                #expect(page.headers["Content-Security-Policy"].isEmpty == false)
            }
        }
    }

    @Test("idle connections close, and stalled headers and bodies get 408")
    func slowClients() async throws {
        try await APIHarness.run(["API_IDLE_TIMEOUT": "2s", "API_HEADER_TIMEOUT": "1s", "API_BODY_TIMEOUT": "1s"]) { api in
            let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
            let start = ContinuousClock.now

            let slowloris = try RawConnection(port: port)
            try slowloris.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            let headers = slowloris.read(for: .seconds(5))
            #expect(headers.text.hasPrefix("HTTP/1.1 408") && headers.closed, "\(headers)")

            let stalledBody = try RawConnection(port: port)
            try stalledBody.send(
                "POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"login\":"
            )
            let body = stalledBody.read(for: .seconds(5))
            #expect(body.text.hasPrefix("HTTP/1.1 408") && body.closed, "\(body)")

            let idle = try RawConnection(port: port)
            let quiet = idle.read(for: .seconds(6))
            #expect(quiet.closed && quiet.text.isEmpty, "\(quiet)")
            #expect(ContinuousClock.now - start < .seconds(15))

            // A normal request on a kept-alive connection is untouched.
            let normal = try RawConnection(port: port)
            try normal.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let answer = normal.read(for: .milliseconds(800))
            #expect(answer.text.hasPrefix("HTTP/1.1 200") && !answer.closed, "\(answer)")
        }
    }

    @Test("connections per process are bounded: past API_MAX_CONNECTIONS a new one waits until one closes")
    func connectionLimit() async throws {
        try await APIHarness.run(["API_MAX_CONNECTIONS": "3", "API_IDLE_TIMEOUT": "60s"]) { api in
            let port = try #require(Int(api.base.split(separator: ":").last ?? ""))
            // The harness's own client may hold a kept-alive connection: wait for the server to see it go.
            try await Task.sleep(for: .milliseconds(200))
            var open: [RawConnection] = []
            for _ in 0..<3 {
                let connection = try RawConnection(port: port)
                try connection.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                let reply = connection.read(for: .milliseconds(500))
                if reply.text.hasPrefix("HTTP/1.1 200") { open.append(connection) }
            }
            #expect(open.count >= 2)
            let waiting = try RawConnection(port: port)
            try waiting.send("GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let held = waiting.read(for: .milliseconds(700))
            #expect(held.text.isEmpty, "a connection past the limit was served: \(held)")
            for connection in open { connection.close() }
            let served = waiting.read(for: .seconds(5))
            #expect(served.text.hasPrefix("HTTP/1.1 200"), "once others closed: \(served)")
        }
    }
}
