import API
import AsyncHTTPClient
import FakeWB
import FleetAuth
import FleetStore
import FleetTesting
import Foundation
import HTTPTypes
import NIOHTTP1
import PostgresNIO
import Queue
import Testing
import WBKit

@Suite("Operations, internal API, backups and queues", .serialized)
struct OperationsTests {
    @Test("health, ready, request ids, JSON errors, body limit, metrics by route and status, OpenAPI true to the routes")
    func operations() async throws {
        try await APIHarness.run(["API_MAX_BODY": "2048"]) { api in
            let admin = try await api.admin()
            #expect(try await api.call(.GET, "/api/health").json["status"] as? String == "ok")
            let ready = try await api.call(.GET, "/api/ready")
            #expect(ready.status == 200)
            #expect((ready.json["checks"] as? [String: String]) == ["redis": "ok", "postgres": "ok", "migrations": "ok"])
            let echoed = try await api.call(.GET, "/api/health", headers: [("X-Request-Id", "trace-123")])
            #expect(echoed.headers.first(name: "X-Request-Id") == "trace-123")
            let generated = try await api.call(.GET, "/api/nowhere", headers: [("X-Request-Id", "bad id with spaces")])
            #expect(generated.status == 404)
            let id = try #require(generated.headers.first(name: "X-Request-Id"))
            #expect(id != "bad id with spaces")
            #expect(generated.json["error"] != nil)
            #expect((generated.json["error"] as? [String: Any])?["requestId"] as? String == id)
            let big = try await api.call(.PATCH, "/api/auth/me", token: admin.token, json: #"{"name":"\#(String(repeating: "x", count: 5000))"}"#)
            #expect(big.status == 413)
            #expect(big.errorCode == "too_large")
            let broken = try await api.call(.PATCH, "/api/auth/me", token: admin.token, json: "{")
            #expect(broken.status == 400)
            #expect(!broken.text.contains("DecodingError"))

            // Prometheus is not on the public port, but on a listener of its own (API_METRICS_PORT).
            #expect(try await api.call(.GET, "/metrics").status == 404)
            let port = try #require(api.environment["API_METRICS_PORT"])
            let metricsResponse = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"),
                timeout: .seconds(10)
            )
            let metrics = (
                status: Int(metricsResponse.status.code),
                text: String(buffer: try await metricsResponse.body.collect(upTo: 16 << 20))
            )
            #expect(metrics.status == 200)
            #expect(metrics.text.contains(#"http_route="/api/auth/me""#) || metrics.text.contains("/api/auth/me"))
            #expect(metrics.text.contains("413"))

            let document = try await api.call(.GET, "/api/openapi.json")
            #expect(document.json["openapi"] as? String == "3.1.0")
            let paths = try #require(document.json["paths"] as? [String: [String: Any]])
            let public_ = api.server.routes.endpoints.filter { $0.access != .internalSecret }
            #expect(paths.values.map(\.count).reduce(0, +) == public_.count)
            for endpoint in public_ {
                let operation = paths[endpoint.path]?[endpoint.method.rawValue.lowercased()] as? [String: Any]
                #expect(operation?["operationId"] as? String == endpoint.operationID, "\(endpoint.method) \(endpoint.path) missing from the document")
            }
            // Outside /api only the web UI's pages and assets, documented as HTML and files.
            let webUI = Set(public_.filter { $0.tag == "web-ui" }.map(\.path))
            #expect(Set(paths.keys.filter { !$0.hasPrefix("/api/") }) == webUI)
            #expect(webUI.contains("/") && webUI.contains("/assets/{version}/{file}"))
            #expect(!document.text.contains("/internal"))
        }
    }

    @Test("Swagger UI only for the SWAGGER role")
    func swaggerUI() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let reader = try await api.user("docs", [.swagger])
            #expect(try await api.call(.GET, "/api/swagger-ui").status == 401)
            #expect(try await api.call(.GET, "/api/swagger-ui", token: admin.token).status == 403)
            let page = try await api.call(.GET, "/api/swagger-ui", token: reader.token)
            #expect(page.status == 200)
            #expect(page.text.contains("/api/openapi.json") || page.text.contains("swagger-ui-init.js"))
            #expect(try await api.call(.GET, "/api/swagger-ui/swagger-ui-init.js", token: reader.token).text.contains("/api/openapi.json"))
            #expect(try await api.call(.GET, "/api/swagger-ui/..%2F..%2Fetc%2Fpasswd", token: reader.token).status == 404)
            let bundle = try await api.call(.GET, "/api/swagger-ui/swagger-ui-bundle.js", token: reader.token)
            #expect(bundle.status == 200, "Swagger UI assets are installed by scripts/install-deps.sh: \(bundle.text.prefix(200))")
            #expect(bundle.bytes.count > 100_000)
        }
    }

    @Test("internal API: 404 without the secret; verifies a session cookie; decrypts portal credentials")
    func internalAPI() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let accountID = try await api.account(admin, name: "A")
            let manager = try await api.user("mila", [.manager], accountID: accountID)
            #expect(
                try await api.call(
                    .PUT,
                    "/api/users/\(manager.userID)/articles",
                    token: admin.token,
                    json: #"{"nmIds":[231906114,178231456],"force":true,"comment":"not synced in this test"}"#
                )
                .status == 200
            )
            let credentials = #"{"login":"+79990000000","password":"portal-pass","cookies":"WBToken=abc"}"#
            #expect(try await api.call(.PUT, "/api/accounts/\(accountID)/portal-credentials", token: admin.token, json: credentials).status == 204)
            #expect(try await api.call(.PUT, "/api/accounts/\(accountID)/portal-credentials", token: admin.token, json: "{}").status == 400)

            let body = APIHarness.jsonString(["cookie": "theme=dark; joycity_access=\(manager.token); other=1"])
            #expect(try await api.call(.POST, "/internal/session", json: body).status == 404)
            #expect(try await api.call(.POST, "/internal/session", json: body, headers: [("X-Internal-Secret", "wrong")]).status == 404)
            let secret = [("X-Internal-Secret", APIHarness.internalSecret)]
            let session = try await api.call(.POST, "/internal/session", json: body, headers: secret)
            #expect(session.status == 200, "\(session.text)")
            #expect((session.json["articles"] as? [NSNumber])?.map(\.int64Value) == [178_231_456, 231_906_114])
            #expect((session.json["accountId"] as? NSNumber)?.int64Value == accountID)
            #expect(((session.json["user"] as? [String: Any])?["roles"] as? [String]) == ["MANAGER"])
            #expect(try await api.call(.POST, "/internal/session", json: #"{"cookie":"joycity_access=forged"}"#, headers: secret).status == 401)
            let portal = try await api.call(.GET, "/internal/accounts/\(accountID)/portal-credentials", headers: secret)
            #expect(portal.json["password"] as? String == "portal-pass")
            #expect(portal.json["cookies"] as? String == "WBToken=abc")
            #expect(try await api.call(.GET, "/internal/accounts/\(accountID)/portal-credentials").status == 404)
            // Sealed at rest: the column holds no plaintext.
            let raw = try await api.owner.query(
                "SELECT encode(portal_credentials, 'escape') FROM seller_accounts WHERE id = \(accountID)",
                logger: TestRedis.logger
            )
            for try await text in raw.decode(String.self) { #expect(!text.contains("portal-pass")) }
            // A revoked session is refused here too.
            #expect(try await api.call(.POST, "/api/auth/logout", token: manager.token).status == 204)
            #expect(try await api.call(.POST, "/internal/session", json: body, headers: secret).status == 401)
        }
    }

    @Test(
        "backups: a second click returns the queued job; the list shows status and progress. Queue admin: stats, workers, job, dead letters, pause/resume"
    )
    func backupsAndQueues() async throws {
        try await APIHarness.run { api in
            let admin = try await api.admin()
            let ops = try await api.user("olga", [.ops])
            let first = try await api.call(.POST, "/api/backups", token: admin.token)
            #expect(first.status == 202)
            let second = try await api.call(.POST, "/api/backups", token: admin.token)
            #expect(second.json["jobId"] as? String == first.json["jobId"] as? String)
            #expect(second.json["alreadyRunning"] as? Bool == true)
            #expect(try await api.call(.POST, "/api/backups", token: ops.token).status == 403)
            // A row as a running backup writes it.
            let store = BackupStore(client: api.owner, logger: TestRedis.logger)
            let row = try await store.start(jobID: first.json["jobId"] as? String, bucket: "b", key: "pg/x.dump", database: "db")
            try await store.progress(id: row, bytes: 33_554_432, parts: 2)
            let list = try await api.call(.GET, "/api/backups", token: ops.token)
            #expect(list.items.first?["status"] as? String == "running")
            #expect(list.items.first?["bytes"] as? Int == 33_554_432)
            #expect(list.items.first?["parts"] as? Int == 2)

            let jobID = try #require(first.json["jobId"] as? String)
            let job = try await api.call(.GET, "/api/jobs/\(jobID)", token: ops.token)
            #expect(job.json["type"] as? String == "backup.run")
            #expect(try await api.call(.GET, "/api/jobs/NOSUCHJOB", token: ops.token).status == 404)
            let queues = try await api.call(.GET, "/api/queues?sample=0.2", token: ops.token)
            let defaultQueue = queues.items.first { ($0["stats"] as? [String: Any])?["name"] as? String == "default" }
            #expect((defaultQueue?["stats"] as? [String: Any])?["waiting"] as? Int == 1)
            #expect(defaultQueue?["processedPerSecond"] as? Double == 0)
            #expect(try await api.call(.GET, "/api/queues?sample=99", token: ops.token).status == 400)
            #expect(try await api.call(.GET, "/api/workers", token: ops.token).status == 200)
            #expect(try await api.call(.POST, "/api/queues/default/pause", token: ops.token).status == 403)
            #expect(try await api.call(.POST, "/api/queues/default/pause", token: admin.token).json["paused"] as? Bool == true)
            #expect(
                (try await api.call(.GET, "/api/queues?sample=0", token: ops.token).items.first?["stats"] as? [String: Any])?["paused"] as? Bool
                    == true
            )
            #expect(try await api.call(.POST, "/api/queues/default/resume", token: admin.token).json["paused"] as? Bool == false)
            #expect(try await api.call(.POST, "/api/queues/bad%20name/pause", token: admin.token).status == 400)

            // A dead letter, made by a worker whose handler fails for good.
            let queue = api.server.api.queue
            var registry = JobRegistry()
            registry.register(JobType<String>(name: "test.fails")) { _, _ in throw JobFailure.permanent("broken on purpose") }
            let enqueued = try await queue.enqueue(JobRequest(JobType<String>(name: "test.fails"), "x", queue: "deadq"))
            try await withWorker(queue: queue, registry: registry, configuration: .testing(queues: ["deadq"])) { _ in
                _ = await eventually(timeout: .seconds(20)) { (try? await queue.deadLetters("deadq").count) == 1 }
            }
            let dead = try await api.call(.GET, "/api/queues/deadq/dead", token: ops.token)
            #expect(dead.items.first?["jobId"] as? String == enqueued.id)
            #expect((dead.items.first?["errors"] as? String)?.contains("broken on purpose") == true)
            // The server-side search: by payload text, for queue readers; bad input refused.
            let found = try await api.call(.GET, "/api/queues/deadq/dead/search?q=X&limit=10", token: ops.token)
            #expect(found.status == 200 && found.json["complete"] as? Bool == true && found.json["scanned"] as? Int == 1, "\(found.text)")
            #expect((found.json["letters"] as? [[String: Any]])?.first?["jobId"] as? String == enqueued.id)
            let none = try await api.call(.GET, "/api/queues/deadq/dead/search?q=nothing-like-this", token: ops.token)
            #expect((none.json["letters"] as? [Any])?.isEmpty == true)
            #expect(try await api.call(.GET, "/api/queues/deadq/dead/search?q=%20", token: ops.token).status == 400)
            #expect(try await api.call(.GET, "/api/queues/deadq/dead/search", token: ops.token).status == 400)
            #expect(try await api.call(.GET, "/api/queues/deadq/dead/search?q=x&scan=0", token: ops.token).status == 400)
            let manager = try await api.user("mia", [.manager])
            #expect(try await api.call(.GET, "/api/queues/deadq/dead/search?q=x", token: manager.token).status == 403)
            #expect(try await api.call(.POST, "/api/dead/\(enqueued.id)/retry", token: ops.token).status == 403)
            #expect(try await api.call(.POST, "/api/dead/\(enqueued.id)/retry", token: admin.token).status == 200)
            #expect(try await queue.deadLetters("deadq").isEmpty)
            #expect(try await queue.stats("deadq").waiting == 1)
            #expect(try await api.call(.DELETE, "/api/dead/\(enqueued.id)", token: admin.token).status == 404)
        }
    }

    @Test("PostgreSQL unreachable: requests answer 503 within API_REQUEST_TIMEOUT instead of hanging; /api/ready names it")
    func databaseDown() async throws {
        try await APIHarness.run(
            ["API_DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "API_MIGRATE": "false", "API_REQUEST_TIMEOUT": "2s"],
            waitReady: false
        ) { api in
            let ready = try await api.call(.GET, "/api/ready")
            #expect(ready.status == 503)
            #expect((ready.json["checks"] as? [String: String])?["postgres"]?.contains("not reachable") == true)
            let start = ContinuousClock.now
            let login = try await api.call(.POST, "/api/auth/login", json: #"{"login":"root","password":"whatever-123"}"#)
            #expect(login.status == 503)
            #expect(login.errorCode == "unavailable")
            let token = try await api.server.api.tokens.accessToken(userID: 1, sessionID: UUID(), roles: [.admin]).token
            let users = try await api.call(.GET, "/api/users", token: token)
            #expect(users.status == 503)
            #expect(!users.text.contains("PSQL"))
            #expect(ContinuousClock.now - start < .seconds(15))
            #expect(try await api.call(.GET, "/api/health").status == 200, "liveness does not depend on PostgreSQL")
        }
    }
}
