import Assignments
import AsyncHTTPClient
import FakeWB
import FleetAuth
import FleetCore
import FleetStore
import Foundation
import Logging
import PostgresNIO
import ProxyEdge

/// `joycity bench proxy`: the proxy edge (its own process, `joycity proxy`) and Debian's nginx (`proxy_pass`,
/// configured here) in front of the same fake portal, loaded by `wrk` for a static asset and a JSON page; and the
/// article filter's own time on a 1 MB cards page against pass-through. Uses a database of its own on the server of
/// `DATABASE_URL` (dropped afterwards) and `REDIS_URL` under a prefix of its own.
struct ProxyBenchmark {
    let seconds: Int
    let connections: Int
    let rounds: Int
    let filterOnly: Bool
    let logger: Logger
    let prefix = "bench.proxy.\(UInt32.random(in: 0...UInt32.max))"

    struct Load: Encodable {
        var name: String
        var path: String
        var nginxRequestsPerSecond: Double
        var proxyRequestsPerSecond: Double
        /// proxy / nginx (target ≥ 0.5).
        var ratio: Double
        var nginxP50Ms: Double
        var proxyP50Ms: Double
        var proxyP99Ms: Double
        var proxyErrors: Int
    }

    struct Report: Encodable {
        var seconds: Int
        var connections: Int
        var loads: [Load]
        var pageBytes: Int
        var pageCards: Int
        var keptCards: Int
        var filterP50Ms: Double
        var filterP99Ms: Double
        var passThroughP50Ms: Double
        var passThroughP99Ms: Double
        /// filter p50 − pass-through p50 (target ≤ 2 ms).
        var filterAddsP50Ms: Double
        /// Peak resident memory of the proxy process during the load (target ≤ 64 MB).
        var proxyPeakRSSMB: Double

        func printText() {
            print("bench proxy: wrk \(connections) connections × \(seconds) s per run, against the fake portal")
            for load in loads {
                print(
                    String(
                        format:
                            "  %@ %@: nginx %8.0f req/s (p50 %.2f ms); proxy %8.0f req/s (p50 %.2f ms, p99 %.2f ms, %d errors); ratio %.2f (target ≥ 0.5)",
                        load.name,
                        load.path,
                        load.nginxRequestsPerSecond,
                        load.nginxP50Ms,
                        load.proxyRequestsPerSecond,
                        load.proxyP50Ms,
                        load.proxyP99Ms,
                        load.proxyErrors,
                        load.ratio
                    )
                )
            }
            print(
                String(
                    format: "  filter, %d-byte cards page (%d cards, %d kept): p50 %.2f ms, p99 %.2f ms; pass-through p50 %.2f ms, p99 %.2f ms",
                    pageBytes,
                    pageCards,
                    keptCards,
                    filterP50Ms,
                    filterP99Ms,
                    passThroughP50Ms,
                    passThroughP99Ms
                )
            )
            print(String(format: "  filtering adds %.2f ms p50 per page (target ≤ 2 ms)", filterAddsP50Ms))
            print(String(format: "  proxy peak RSS under load: %.1f MB (target ≤ 64 MB)", proxyPeakRSSMB))
        }
    }

    func run() async throws -> Report {
        // The filter alone first: no servers running beside it.
        let page = FilterBenchmark.cardsPage(bytes: 1 << 20, assignedEvery: 10)
        let timing = FilterBenchmark.measure(body: page.body, assigned: page.assigned, rounds: filterOnly ? 200 : max(20, rounds * 20))
        let filter = timing.filter.map { $0.seconds * 1000 }.sorted()
        let pass = timing.passThrough.map { $0.seconds * 1000 }.sorted()

        let environment = EnvironmentReader()
        let database = try DatabaseConfiguration(environment: environment)
        let (loads, peak) =
            filterOnly
            ? ([], .nan)
            : try await database.withTemporaryDatabase(prefix: "joycity_bench_proxy", logger: logger) { temporary in
                try await temporary.withClient(logger: logger) { postgres in
                    try await measureLoad(postgres: postgres, database: temporary, environment: environment)
                }
            }
        return Report(
            seconds: seconds,
            connections: connections,
            loads: loads,
            pageBytes: page.body.count,
            pageCards: page.cards,
            keptCards: timing.kept,
            filterP50Ms: Self.percentile(filter, 0.5),
            filterP99Ms: Self.percentile(filter, 0.99),
            passThroughP50Ms: Self.percentile(pass, 0.5),
            passThroughP99Ms: Self.percentile(pass, 0.99),
            filterAddsP50Ms: Self.percentile(filter, 0.5) - Self.percentile(pass, 0.5),
            proxyPeakRSSMB: peak
        )
    }

    func measureLoad(postgres: PostgresClient, database: DatabaseConfiguration, environment: EnvironmentReader) async throws -> ([Load], Double) {
        try await Migrator(client: postgres, logger: logger).migrate()
        // Keys of this run: sessions signed, credentials sealed.
        let jwt = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        let sealing = Data((0..<32).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var values = environment.values
        values["API_JWT_KEYS"] = "bench:\(jwt)"
        values["JOYCITY_SECRET_KEYS"] = "bench:\(sealing)"
        values["API_ACCESS_TTL"] = "1h"
        let settings = try SessionSettings(environment: EnvironmentReader(values: values))
        let secrets = try SecretBox(environment: EnvironmentReader(values: values))

        // One account with the fake portal's cookies, one manager holding one article this month.
        let accounts = AccountStore(client: postgres, secrets: secrets, logger: logger)
        let accountRows = try await postgres.query(
            "INSERT INTO seller_accounts (name, inn) VALUES ('Bench', '7700000001') RETURNING id",
            logger: logger
        )
        let account = try await accountRows.decode(Int64.self).first { _ in true }!
        try await accounts.setPortalCredentials(
            id: account,
            json: try JSONCoding.encode(["cookies": "wbx-refresh=\(FakeWBPortal.Settings().seedRefresh); wbx-seller-device-id=bench-\(prefix)"])
        )
        let userRows = try await postgres.query(
            "INSERT INTO users (login, name, password_hash, account_id) VALUES ('bench', 'Bench', 'x', \(account)) RETURNING id",
            logger: logger
        )
        let user = try await userRows.decode(Int64.self).first { _ in true }!
        try await postgres.query("INSERT INTO user_roles (user_id, role) VALUES (\(user), 'MANAGER')", logger: logger)
        let month = AssignmentConfiguration().currentMonth().firstDay
        try await postgres.query(
            "INSERT INTO assignments (account_id, month, nm_id, user_id) VALUES (\(account), \(month)::date, 178231456, \(user))",
            logger: logger
        )
        let sessions = SessionStore(client: postgres, logger: logger, seal: SessionSeal(keys: settings.jwtKeys, activeKeyID: settings.jwtActiveKeyID))
        let session = try await sessions.create(
            userID: user,
            device: "bench",
            ip: nil,
            refreshHash: Array(repeating: 1, count: 32),
            expiresAt: Date() + 3600
        )
        let token = try await settings.tokenIssuer().accessToken(userID: user, sessionID: session, roles: [.manager]).token

        let portal = FakeWBPortal()
        let fixed = values
        return try await portal.withRunning(logger: logger) { upstream in
            let upstreamPort = Int(upstream.split(separator: ":").last ?? "") ?? 0
            let proxyPort = Int.random(in: 21_000...28_999)
            var proxyEnvironment = fixed
            proxyEnvironment["DATABASE_URL"] = Self.url(database)
            proxyEnvironment["QUEUE_PREFIX"] = prefix
            proxyEnvironment["PROXY_PORT"] = String(proxyPort)
            proxyEnvironment["PROXY_UPSTREAM"] = upstream
            proxyEnvironment["PROXY_METRICS_PORT"] = "0"
            proxyEnvironment["LOG_LEVEL"] = "error"
            let proxy = Process()
            proxy.executableURL = URL(fileURLWithPath: Self.selfExecutable())
            proxy.arguments = ["proxy"]
            proxy.environment = proxyEnvironment
            try proxy.run()
            let nginx = try NginxBaseline(upstreamPort: upstreamPort)
            defer {
                proxy.terminate()
                proxy.waitUntilExit()
                nginx.stop()
            }
            let proxyBase = "http://127.0.0.1:\(proxyPort)"
            guard await Self.waitUntilUp(proxyBase + "/__joycity__/health"),
                await Self.waitUntilUp(nginx.base + "/__services__/ns/reference/countries")
            else {
                throw BenchError("the proxy or nginx did not start (ports \(proxyPort), \(nginx.port))")
            }
            let cookie = "joycity_access=\(token)"
            // Warm up: the WB session is created (slide-v3, LK token) before anything is timed.
            _ = try await WrkRun.run(url: proxyBase + FakeWBPortal.bundlePath, header: cookie, connections: 2, seconds: 1)
            var loads: [Load] = []
            for (name, path) in [("static asset", FakeWBPortal.bundlePath), ("JSON page", "/__services__/ns/reference/countries")] {
                var best: (WrkRun, WrkRun)?
                for _ in 0..<rounds {
                    let baseline = try await WrkRun.run(url: nginx.base + path, header: nil, connections: connections, seconds: seconds)
                    let ours = try await WrkRun.run(url: proxyBase + path, header: cookie, connections: connections, seconds: seconds)
                    if best == nil || ours.requestsPerSecond / baseline.requestsPerSecond > best!.1.requestsPerSecond / best!.0.requestsPerSecond {
                        best = (baseline, ours)
                    }
                }
                let (baseline, ours) = best!
                loads.append(
                    Load(
                        name: name,
                        path: path,
                        nginxRequestsPerSecond: baseline.requestsPerSecond,
                        proxyRequestsPerSecond: ours.requestsPerSecond,
                        ratio: ours.requestsPerSecond / baseline.requestsPerSecond,
                        nginxP50Ms: baseline.p50Ms,
                        proxyP50Ms: ours.p50Ms,
                        proxyP99Ms: ours.p99Ms,
                        proxyErrors: ours.errors
                    )
                )
            }
            return (loads, ProcessMemory.peakRSSMB(pid: proxy.processIdentifier))
        }
    }

    static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
    }

    static func url(_ database: DatabaseConfiguration) -> String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = database.username
        components.password = database.password
        components.host = database.host
        components.port = database.port
        components.path = "/" + database.database
        return components.string ?? DatabaseConfiguration.defaultURL
    }

    static func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    static func waitUntilUp(_ url: String) async -> Bool {
        for _ in 0..<200 {
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: url), timeout: .seconds(2)) {
                _ = try? await response.body.collect(upTo: 1 << 20)
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }
}

/// A benchmark that could not run, and why.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
