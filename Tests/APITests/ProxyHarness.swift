import AsyncHTTPClient
import FakeWB
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import NIOCore
import NIOHTTP1
import PostgresNIO
import ProxyEdge
import ServiceLifecycle
import Synchronization
import Testing

/// Proxy edges (one or several replicas, each with its own Redis client, as separate processes would have) in front
/// of a fake portal, beside an ``APIHarness``; and a browser-like client that shows redirects instead of following.
enum ProxyHarness {
    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let text: String
    }

    static let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))

    /// Runs `replicas` proxies against `portal` with the API's environment plus `overrides`; `body` gets their base URLs.
    static func run(
        api: APIHarness,
        portal: FakeWBPortal,
        replicas: Int = 1,
        overrides: [String: String] = [:],
        _ body: @Sendable (_ upstream: String, _ bases: [String]) async throws -> Void
    ) async throws {
        try await portal.withRunning(logger: TestRedis.logger) { upstream in
            var environment = api.environment
            environment["PROXY_PORT"] = "0"
            environment["PROXY_UPSTREAM"] = upstream
            environment["PROXY_SIGN_IN_URL"] = "https://app.example.test/signin"
            environment.merge(overrides) { $1 }
            let ports = Mutex<[Int]>([])
            var services: [any Service] = []
            for _ in 0..<replicas {
                let server = try await ProxyServer.make(environment: EnvironmentReader(values: environment), logger: TestRedis.logger) { bound in
                    ports.withLock { $0.append(bound) }
                }
                services += server.services
            }
            let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [], logger: TestRedis.logger))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                do {
                    #expect(await eventually(timeout: .seconds(20)) { ports.withLock { $0.count } == replicas })
                    try await body(upstream, ports.withLock { $0 }.map { "http://127.0.0.1:\($0)" })
                } catch {
                    await group.triggerGracefulShutdown()
                    try? await tasks.waitForAll()
                    throw error
                }
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
        }
    }

    static func call(
        _ base: String,
        _ method: HTTPMethod,
        _ path: String,
        cookie: String?,
        accept: String = "application/json",
        json: String? = nil,
        headers: [(String, String)] = []
    )
        async throws -> Reply
    {
        var request = HTTPClientRequest(url: base + path)
        request.method = method
        request.headers.add(name: "Accept", value: accept)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let cookie { request.headers.add(name: "Cookie", value: "joycity_access=\(cookie)") }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: json))
        }
        let response = try await client.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, text: String(buffer: body))
    }

    /// Synced realization-report rows (`rrd_id`, `nm_id`, `rr_dt`, the row as WB sent it) of `account`, written as
    /// the database's owner.
    static func reportRows(_ api: APIHarness, account: Int64, _ rows: [(rrd: Int64, nm: Int64, day: String, doc: String)]) async throws {
        try await api.database.withClient(logger: TestRedis.logger) { postgres in
            for row in rows {
                try await postgres.query(
                    """
                    INSERT INTO wb_report_rows (account_id, rrd_id, rr_dt, nm_id, source, sync_run, doc)
                    VALUES (\(account), \(row.rrd), \(row.day)::date, \(row.nm), 'statistics', 1, \(row.doc)::jsonb)
                    """,
                    logger: TestRedis.logger
                )
            }
        }
    }

    /// The cards list through the proxy.
    static let cards = "/__content__/ns/viewer/content-card/viewer/tableListv6"

    /// Whether anything the browser got (`replies`) carries one of the fake's secrets (cookies and tokens it issued,
    /// the refresh cookie the admin stored).
    static func leaked(_ replies: [Reply], _ portal: FakeWBPortal) -> [String] {
        let secrets = portal.issuedSecrets + [portal.settings.seedRefresh]
        return secrets.filter { secret in
            replies.contains { reply in reply.text.contains(secret) || reply.headers.contains { $0.value.contains(secret) } }
        }
    }
}
