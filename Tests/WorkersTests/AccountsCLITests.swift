import AsyncHTTPClient
import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import NIOHTTP1
import PostgresNIO
import Queue
import Testing

#if canImport(Glibc)
import Glibc
import WBKit
#endif

/// `joycity accounts …`, `joycity migrate`, `joycity fake-wb` and `joycity all` as a user runs them.
@Suite("accounts CLI and joycity all", .serialized)
struct AccountsCLITests {
    func run(_ arguments: [String], _ environment: [String: String]) async throws -> (status: Int32, output: String) {
        let process = try FleetProcess(arguments, environment: environment)
        let status = await process.waitForExit(timeout: .seconds(30))
        return (status ?? -1, process.output)
    }

    @Test func addListDisableSetTokenAndBadInput() async throws {
        try await TestPostgres.withDatabase { postgres, database in
            try await TestRedis.withQueue { queue in
                let env = [
                    "DATABASE_URL": TestPostgres.url(database), "JOYCITY_SECRET_KEYS": testSecretKeys, "QUEUE_PREFIX": queue.configuration.prefix,
                    "FAKE_WB_SECRET": "cli-test",
                ]
                let token = try await run(["fake-wb", "token", "--seller", "2"], env)
                #expect(token.status == 0)
                let jwt = token.output.trimmingCharacters(in: .whitespacesAndNewlines)
                #expect(jwt.split(separator: ".").count == 3)

                let added = try await run(["accounts", "add", "--name", "ООО Ромашка", "--inn", "7701234567", "--token", jwt, "--json"], env)
                #expect(added.status == 0, "\(added.output)")
                let account = try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: Any]
                #expect(account?["name"] as? String == "ООО Ромашка" && account?["hasToken"] as? Bool == true)
                #expect(account?["wbSellerID"] as? String == FakeWBSellerID.sid(seller: 2, seed: 1))
                #expect(!added.output.contains(jwt), "the token is never printed")

                let duplicate = try await run(["accounts", "add", "--name", "Другое", "--inn", "7701234567"], env)
                #expect(duplicate.status == 1 && duplicate.output.contains("already registered"))
                let badINN = try await run(["accounts", "add", "--name", "X", "--inn", "12345"], env)
                #expect(badINN.status == 1 && badINN.output.contains("INN '12345'"))
                let badToken = try await run(["accounts", "add", "--name", "X", "--inn", "7709876543", "--token", "not-a-jwt"], env)
                #expect(badToken.status == 1 && badToken.output.contains("not a JWT"))
                // Refused as the API refuses them: no Statistics category, a test token, an expired one.
                for (flags, reason) in [
                    (["--scope", "finance"], "Statistics"), (["--kind", "2"], "test (sandbox) token"), (["--expired"], "expired"),
                ] {
                    let minted = try await run(["fake-wb", "token", "--seller", "3"] + flags, env).output.trimmingCharacters(
                        in: .whitespacesAndNewlines
                    )
                    let refused = try await run(["accounts", "add", "--name", "X", "--inn", "7709876543", "--token", minted], env)
                    #expect(
                        refused.status == 1 && refused.output.contains(reason) && !refused.output.contains("WB refused"),
                        "\(flags): \(refused.output)"
                    )
                }
                var noKey = env
                noKey["JOYCITY_SECRET_KEYS"] = ""
                let withoutKey = try await run(["accounts", "add", "--name", "X", "--inn", "7709876543", "--token", jwt], noKey)
                #expect(withoutKey.status == 1 && withoutKey.output.contains("JOYCITY_SECRET_KEYS"))
                var badURL = env
                badURL["DATABASE_URL"] = "mysql://nope"
                #expect(try await run(["accounts", "list"], badURL).status == 78)
                badURL["DATABASE_URL"] = "postgres://postgres@127.0.0.1:1/nowhere"
                let unreachable = try await run(["accounts", "list"], badURL)
                #expect(unreachable.status == 1 && unreachable.output.contains("did not answer"), "\(unreachable.output)")

                #expect(try await run(["accounts", "disable", "1"], env).status == 0)
                let list = try await run(["accounts", "list", "--json"], env)
                let rows = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
                #expect(rows?.count == 1 && rows?.first?["syncEnabled"] as? Bool == false)
                #expect(try await run(["accounts", "disable", "42"], env).output.contains("no seller account 42"))
                #expect(try await run(["accounts", "set-token", "1", jwt], env).status == 0)

                let sync = try await run(["accounts", "sync", "1", "--datasets", "orders,report"], env)
                #expect(sync.status == 0 && sync.output.contains("wb.sync"))
                #expect(try await queue.stats("default").waiting == 2)
                #expect(try await run(["accounts", "sync", "1", "--datasets", "stocks"], env).status != 0)
                #expect(try await run(["migrate"], env).output.contains("schema is current"))
            }
        }
    }

    @Test("joycity all with no WB configured serves the fake, registers demo sellers and syncs them, and runs the proxy edge")
    func allRunsTheFakeAndSyncs() async throws {
        let proxyPort = String(Int.random(in: 20_000...24_999))
        let apiPort = String(Int.random(in: 25_000...29_999))
        try await TestPostgres.withDatabase { postgres, database in
            try await TestRedis.withQueue { queue in
                let env = [
                    "DATABASE_URL": TestPostgres.url(database), "JOYCITY_SECRET_KEYS": testSecretKeys, "QUEUE_PREFIX": queue.configuration.prefix,
                    "FAKE_WB_PORT": String(Int.random(in: 30_000...31_999)), "FAKE_WB_DAYS": "5", "DEMO_SYNC_INTERVAL": "2s", "METRICS_PORT": "0",
                    "FAKE_WB_PORTAL_PORT": String(Int.random(in: 32_000...32_767)), "PROXY_PORT": proxyPort, "API_PORT": apiPort,
                    "JOYCITY_ADMIN_PASSWORD": "demo-password-1", "API_METRICS_PORT": "0", "PROXY_METRICS_PORT": "0",
                ]
                let all = try FleetProcess(["all"], environment: env)
                // The proxy edge runs too: healthy, and a browser without a session goes to the sign-in.
                let health = await eventually(timeout: .seconds(60)) {
                    try await HTTPClient.shared.get(url: "http://127.0.0.1:\(proxyPort)/__joycity__/health").get().status.code == 200
                }
                #expect(health, "\(all.output.suffix(3000))")
                let synced = await eventually(timeout: .seconds(60)) {
                    var n = 0
                    for try await c in try await postgres.query("SELECT count(DISTINCT account_id) FROM wb_orders").decode(Int.self) { n = c }
                    return n == 3
                }
                #expect(synced, "\(all.output.suffix(3000))")
                #expect(
                    await eventually(timeout: .seconds(30)) {
                        var n = 0
                        for try await c in try await postgres.query("SELECT count(DISTINCT account_id) FROM wb_report_rows").decode(Int.self) {
                            n = c
                        }
                        return n == 3
                    }
                )
                // The demo manager signs in with the API and sees the demo seller's portal through the proxy, her
                // article only.
                let shown = await eventually(timeout: .seconds(30)) {
                    var login = HTTPClientRequest(url: "http://127.0.0.1:\(apiPort)/api/auth/login")
                    login.method = .POST
                    login.headers.add(name: "Content-Type", value: "application/json")
                    login.body = .bytes(ByteBuffer(string: #"{"login":"manager","password":"demo-password-1"}"#))
                    let signed = try await HTTPClient.shared.execute(login, timeout: .seconds(10))
                    let body = try await signed.body.collect(upTo: 1 << 20)
                    guard signed.status == .ok,
                        let token = (try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["accessToken"]
                            as? String
                    else { return false }
                    var cards = HTTPClientRequest(url: "http://127.0.0.1:\(proxyPort)/__content__/ns/viewer/content-card/viewer/tableListv6")
                    cards.method = .POST
                    cards.headers.add(name: "Cookie", value: "joycity_access=\(token)")
                    cards.headers.add(name: "Content-Type", value: "application/json")
                    cards.body = .bytes(ByteBuffer(string: "{}"))
                    let answer = try await HTTPClient.shared.execute(cards, timeout: .seconds(10))
                    let text = String(buffer: try await answer.body.collect(upTo: 1 << 20))
                    return answer.status == .ok && text.contains("178231456") && !text.contains("209455871")
                }
                #expect(shown, "\(all.output.suffix(3000))")
                all.send(SIGTERM)
                #expect(await all.waitForExit(timeout: .seconds(30)) == 0)
                // A clean start and a clean shutdown log no error (the scheduler used to read accounts before the
                // migrations had run).
                let errors = all.output.split(separator: "\n").filter { $0.contains(" error ") || $0.contains(" critical ") }
                #expect(errors.isEmpty, "\(errors.joined(separator: "\n"))")
                // One process, one migration pass (the API of `all` leaves it to the worker's store).
                let passes = all.output.split(separator: "\n").filter { $0.contains("database schema is current") }
                #expect(passes.count == 1, "\(passes)")
            }
        }
    }
}
