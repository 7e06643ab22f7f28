import API
import Assignments
import AvatarStorage
import FakeWB
import FleetStore
import FleetTesting
import Foundation
import NIOHTTP1
import Queue
import Testing

/// The web UI in a real browser (Debian's chromium, headless, Selenium and axe-core from PyPI; the script is
/// `Browser/web_ui.py`): sign-in and out, an expired access token renewed under a live page, every page in both
/// themes and languages (axe-core: no serious or critical violation; screenshots in `.build/test-artifacts/web-ui`;
/// Navigation Timing against the 200 KB / 1 s budget), a dead letter found by its payload and retried, a backup
/// watched to 100 %, an assignments file with an error row refused then applied fixed, the avatar crop, and a
/// manager who is offered and opens no admin page; the rate-limit message, a user's roles edited in a dialog, a seller
/// account synced now and its interval set.
@Suite("web UI in Chromium", .serialized)
struct WebUIBrowserTests {
    static let artifacts =
        ProcessInfo.processInfo.environment["JOYCITY_TEST_ARTIFACTS"].map { $0 + "/web-ui" }
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../.build/test-artifacts/web-ui").standardized.path

    @Test("every page, both themes and languages; the flows of admins and managers")
    func browser() async throws {
        let port = Int.random(in: 20_000...29_999)  // fixed before start: the page's origin must be an allowed one
        let origin = "http://127.0.0.1:\(port)"
        let settings = [
            "API_PORT": "\(port)", "API_ALLOWED_ORIGINS": origin, "API_COOKIE_DOMAIN": "", "API_ACCESS_TTL": "3s",
            "API_PORTAL_URL": "http://127.0.0.1:8090/", "API_LOGIN_LIMIT_ACCOUNT": "5/1m:5",  // the page shows the limit
        ]
        try await APIHarness.run(settings) { api in
            let root = try await api.admin()
            let account = try await api.account(root, name: "Кристалл")
            let manager = try await api.user("anna", [.manager], password: "anna-password-1", accountID: account)
            let month = AssignmentConfiguration().currentMonth()
            try await ProxyHarness.reportRows(api, account: account, [(1, 178_231_456, month.firstDay, #"{"doc_type_name":"Продажа"}"#)])

            // A dead letter whose payload holds a word to search for.
            let needle = "needle-\(Int.random(in: 100_000...999_999))"
            let queue = api.server.api.queue
            var registry = JobRegistry()
            registry.register(JobType<String>(name: "test.fails")) { _, _ in throw JobFailure.permanent("broken on purpose") }
            for payload in ["other payload", "the \(needle) payload"] {
                _ = try await queue.enqueue(JobRequest(JobType<String>(name: "test.fails"), payload, queue: "deadq"))
            }
            try await withWorker(queue: queue, registry: registry, configuration: .testing(queues: ["deadq"])) { _ in
                _ = await eventually(timeout: .seconds(20)) { (try? await queue.deadLetters("deadq").count) == 2 }
            }
            let dead = try await queue.deadLetters("deadq")
            let deadJob = try #require(dead.first { $0.payload.contains(needle) }?.jobId)

            // A worker runs the backups the page queues.
            let worker = try FleetProcess(
                ["worker"],
                name: "web-ui-worker",
                environment: api.environment.merging(["METRICS_PORT": "0"]) { $1 }
            )
            defer { worker.send(SIGKILL) }

            let config: [String: Any] = [
                "base": origin, "artifacts": Self.artifacts, "admin": "root", "adminPassword": APIHarness.adminPassword,
                "manager": "anna", "managerPassword": "anna-password-1", "inn": "7701234567", "month": "\(month)",
                "nmId": 178_231_456, "needle": needle, "deadJob": deadJob, "deadQueue": "deadq", "portal": "http://127.0.0.1:8090/",
                // A second valid token for the account's seller, expiring in 90 days (the first: 180), for the replace dialog.
                "newToken": api.fake.token(seller: 1, expires: Date().addingTimeInterval(90 * 86_400)),
            ]
            let script = try String(
                contentsOfFile: URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Browser/web_ui.py").path,
                encoding: .utf8
            )
            let (status, output) = try runPython(
                script,
                arguments: [String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)]
            )
            #expect(status == 0, "\(output.suffix(6000))\n\(worker.output.suffix(2000))")
            let report =
                output.split(separator: "\n").last.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
            print("web UI figures: \(report["timings"] ?? "none")")

            // What the browser did, seen from the API (the page signed out, and access tokens here live 3 s: sign in anew).
            let admin = try await api.login("root", APIHarness.adminPassword)
            #expect(try await queue.job(deadJob)?.state == "queued", "the retried dead letter is back in its queue")
            #expect((try await queue.deadLetters("deadq")).count == 1)
            let backups = try await api.call(.GET, "/api/backups", token: admin.token).items
            #expect(backups.first?["status"] as? String == "succeeded", "\(backups)")
            let avatar = try await api.call(.GET, "/api/users/\(admin.userID)/avatar", token: admin.token)
            #expect(avatar.status == 200)
            #expect((try? JPEGInfo(avatar.bytes)) == JPEGInfo(width: 512, height: 512), "the avatar is a 512×512 JPEG")
            let assigned = try await api.call(.GET, "/api/accounts/\(account)/assignments/\(month)/users/\(manager.userID)", token: admin.token)
            #expect(assigned.json["nmIds"] as? [Int] == [178_231_456])
            let anna = try await api.call(.GET, "/api/users/\(manager.userID)", token: admin.token)
            #expect(Set(anna.json["roles"] as? [String] ?? []) == ["MANAGER", "CONTENT_MANAGER"], "the dialog's role change")
            let shop = try await api.call(.GET, "/api/accounts/\(account)", token: admin.token)
            #expect(shop.json["syncIntervalSeconds"] as? Int == 900, "the interval set in the page")
            let expires = (shop.json["tokenExpiresAt"] as? String).flatMap { try? Date($0, strategy: .iso8601) }
            #expect(expires.map { abs($0.timeIntervalSinceNow - 90 * 86_400) < 86_400 } == true, "the token replaced in the dialog: \(shop.text)")
            #expect((report["rateLimited"] as? String)?.hasPrefix("Too many attempts") == true)
            #expect((report["screenshots"] as? Int ?? 0) >= 36, "screenshots of every page in both themes and languages")
            #expect(FileManager.default.fileExists(atPath: Self.artifacts + "/fleet-dark-ru.png"))
        }
    }
}
