import API
import ArgumentParser
import Assignments
import FakeWB
import FleetAuth
import FleetCore
import FleetStore
import Foundation
import Logging
import ProxyEdge
import Queue
import ServiceLifecycle
import UnixSignals
import WBKit
import Workers

/// `joycity all`: every role of the fleet in one process, for a laptop or a single small server.
///
/// Today that is the worker (with its metrics endpoint and PostgreSQL migrations), the API (`API_PORT`, default 8080)
/// and a scheduler replica; the proxy edge joins when its issue lands. With no real WB configured (`WB_STATISTICS_URL` unset and `WB_FAKE` not
/// `off`) it also runs the built-in fake WB, points the workers at it, registers its demo sellers when there are no
/// accounts yet, syncs every `DEMO_SYNC_INTERVAL` (default 60s, unless `WB_SYNC_INTERVAL` is set) and lets the fake
/// gain a few orders and cancellations as often, so a new user sees data flowing.
struct AllCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all",
        abstract:
            "Run every fleet role in one process (worker, API, proxy edge, scheduler, /metrics, and the fake WB API and portal when no WB is configured)."
    )

    func run() async throws {
        do {
            var environment = EnvironmentReader()
            let logger = try Runtime.logger("joycity", environment: environment)
            var services: [any Service] = []
            var fake: FakeWBState?
            if environment.string("WB_STATISTICS_URL") == nil && environment.string("WB_FAKE", default: "auto") != "off" {
                var fakeEnvironment = environment.values
                let relaxed = "orders=10/1s:10,sales=10/1s:10,report=10/1s:10,finance=10/1s:10"
                if fakeEnvironment["FAKE_WB_RATE_LIMITS"] == nil { fakeEnvironment["FAKE_WB_RATE_LIMITS"] = relaxed }
                let configuration = try FakeWBConfiguration(environment: EnvironmentReader(values: fakeEnvironment))
                let state = FakeWBState(configuration: configuration)
                let base = "http://\(configuration.host):\(configuration.port)"
                var overrides = ["WB_STATISTICS_URL": base, "WB_FINANCE_URL": base, "WB_COMMON_URL": base]
                if environment.string("WB_RATE_LIMITS") == nil { overrides["WB_RATE_LIMITS"] = relaxed }
                if environment.string("SCHEDULER_REFRESH") == nil { overrides["SCHEDULER_REFRESH"] = "5s" }
                if environment.string("WB_SYNC_INTERVAL") == nil {
                    overrides["WB_SYNC_INTERVAL"] = environment.string("DEMO_SYNC_INTERVAL", default: "60s")
                    overrides["WB_REPORT_SYNC_INTERVAL"] = environment.string("DEMO_SYNC_INTERVAL", default: "60s")
                }
                // The fake portal behind the proxy edge, host-routed; the demo sellers get its session cookie.
                let portalPort = try environment.int("FAKE_WB_PORTAL_PORT", default: 9110, range: 1...65535)
                let portal = FakeWBPortal(settings: try FakeWBPortal.Settings(environment: environment))
                services.append(portal.application(host: configuration.host, port: portalPort, logger: logger))
                if environment.string("PROXY_UPSTREAM") == nil { overrides["PROXY_UPSTREAM"] = "http://\(configuration.host):\(portalPort)" }
                environment = EnvironmentReader(values: environment.values.merging(overrides) { _, new in new })
                services.append(FakeWBServer.application(state: state, host: configuration.host, port: configuration.port, logger: logger))
                fake = state
                logger.info("no WB configured: serving the fake WB", metadata: ["url": "\(base)"])
            }
            let worker = try WorkerServer.make(environment: environment, logger: logger)
            services += worker.services
            if environment.string("API_JWT_KEYS") == nil {
                // A laptop run without keys still serves the API; its sessions end when the process does.
                let key = (0..<32).map { _ in UInt8.random(in: 0...255) }
                environment = EnvironmentReader(
                    values: environment.values.merging(["API_JWT_KEYS": "ephemeral:\(Data(key).base64EncodedString())"]) { $1 }
                )
                logger.warning("API_JWT_KEYS is not set: signing sessions with a key that lives as long as this process")
            }
            // The API has the proxy edge beside it check portal credentials against WB before storing them.
            var linked: [String: String] = [:]
            if environment.string("API_INTERNAL_SECRET") == nil {
                linked["API_INTERNAL_SECRET"] = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255)) }.joined()
            }
            if environment.string("API_PROXY_URL") == nil {
                let proxyPort = try environment.int("PROXY_PORT", default: 8090, range: 1...65535)
                linked["API_PROXY_URL"] = "http://127.0.0.1:\(proxyPort)"
            }
            environment = EnvironmentReader(values: environment.values.merging(linked) { $1 })
            // One process, one migration pass: the worker's store migrates, the API waits for it.
            environment = EnvironmentReader(values: environment.values.merging(["API_MIGRATE": "false"]) { $1 })
            // The worker's metrics listener (METRICS_PORT) serves the process's one registry, the API's series too.
            let api = try await APIServer.make(environment: environment, logger: logger, redis: worker.redis)
            services += api.services
            services += try await ProxyServer.make(environment: environment, logger: logger, redis: worker.redis).services
            services.append(
                try SchedulerServices.make(
                    queue: worker.worker.queue,
                    accounts: worker.stack.accounts,
                    store: worker.stack.store,
                    environment: environment,
                    logger: logger
                )
            )
            if let fake {
                services.append(DemoSyncService(fake: fake, stack: worker.stack, environment: environment, logger: logger))
            }
            try await Runtime.serviceGroup(services, environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}

/// Demo data while `joycity all` runs the fake WB: registers the fake's sellers when there are no accounts (the
/// scheduler then syncs them), and every interval lets the fake change a little so later syncs have news.
struct DemoSyncService: Service {
    let fake: FakeWBState
    let stack: WorkerStack
    let environment: EnvironmentReader
    let logger: Logger

    /// A manager of the first demo seller (login `manager`, the admin's password `JOYCITY_ADMIN_PASSWORD`) holding the
    /// fake portal's first article this month, so the proxy edge has someone to show the portal to; nothing without
    /// that password.
    func addDemoManager(account: Int64) async throws {
        guard let password = environment.string("JOYCITY_ADMIN_PASSWORD"), !password.isEmpty else { return }
        let users = UserStore(client: stack.store.client, logger: logger)
        let manager = try await users.create(
            login: "manager",
            email: nil,
            name: "Demo manager",
            passwordHash: try await PasswordHasher.hash(password, cost: 10),
            roles: [.manager],
            accountID: account
        )
        let configuration = try AssignmentConfiguration(environment: environment)
        let assignments = AssignmentStore(client: stack.store.client, configuration: configuration, events: nil, logger: logger)
        _ = try await assignments.commit(
            [
                SetChange(
                    account: account,
                    month: configuration.currentMonth(),
                    user: manager.id,
                    operation: .replace([FakeWBPortal.articles[0].nmId])
                )
            ],
            context: ChangeContext(actorId: nil, actor: "joycity all", source: .cli, force: true, comment: "demo manager of the fake portal")
        )
        logger.info("added the demo manager", metadata: ["login": "manager", "account": "\(account)", "nmId": "\(FakeWBPortal.articles[0].nmId)"])
    }

    func run() async throws {
        let interval = try environment.duration("DEMO_SYNC_INTERVAL", default: .seconds(60), defaultUnit: .seconds)
        do {
            try await stack.store.waitUntilReady(timeout: .seconds(120))
            if try await stack.accounts.list().isEmpty {
                for seller in 1...max(1, fake.sellerIDs.count) where seller <= fake.sellerIDs.count {
                    let token = fake.token(seller: seller)
                    let claims = try WBToken(token)
                    let account = try await stack.accounts.add(
                        name: "Demo seller \(seller)",
                        inn: String(format: "77%08d", seller),
                        token: token,
                        sellerID: claims.sellerID,
                        expiresAt: claims.expiresAt
                    )
                    // The fake portal's login cookies (a device of its own per seller), so the proxy edge can open the
                    // portal for this seller's managers; it gets the tokens through slide-v3.
                    let refresh = environment.string("FAKE_WB_PORTAL_REFRESH", default: FakeWBPortal.Settings().seedRefresh)
                    let cookies =
                        "wbx-refresh=\(refresh); wbx-seller-device-id=supplier-portal__-demo-\(seller); x-supplier-id-external=\(FakeWBPortal.supplierID)"
                    try await stack.accounts.setPortalCredentials(id: account.id, json: try JSONCoding.encode(["cookies": cookies]))
                    if seller == 1 { try await addDemoManager(account: account.id) }
                }
                logger.info("registered the fake WB's demo sellers", metadata: ["count": "\(fake.sellerIDs.count)"])
            }
        } catch {
            logger.error("could not register demo sellers (set JOYCITY_SECRET_KEYS; scripts/run-fleet.sh does)", metadata: ["error": "\(error)"])
        }
        while !Task.isShuttingDownGracefully {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            for seller in 1...max(1, fake.sellerIDs.count) where seller <= fake.sellerIDs.count {
                fake.addOrders(seller: seller, count: 3)
                fake.cancelOrders(seller: seller, count: 1)
            }
        }
    }
}
