import ArgumentParser
import FakeWB
import FleetCore
import Foundation
import ProxyEdge
import ServiceLifecycle

/// `joycity proxy`: the filtered WB Seller portal on one origin, until SIGTERM/SIGINT.
struct ProxyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract: "Run the proxy edge (the WB Seller portal filtered to each manager's articles) until SIGTERM or SIGINT.",
        discussion: "Needs API_JWT_KEYS (as the API) and JOYCITY_SECRET_KEYS; PROXY_UPSTREAM points it at the fake portal. See docs/proxy-edge.md."
    )

    @Option(help: "Port to listen on. Overrides PROXY_PORT.") var port: Int?

    func run() async throws {
        do {
            var overrides: [String: String] = [:]
            if let port { overrides["PROXY_PORT"] = String(port) }
            let environment = EnvironmentReader(overrides: overrides)
            let logger = try Runtime.logger("joycity.proxy", environment: environment)
            let server = try await ProxyServer.make(environment: environment, logger: logger, metrics: Runtime.prometheus())
            try await Runtime.serviceGroup(server.services, environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}

/// `joycity fake-wb-portal`: the stand-in WB Seller portal, routed by `Host`, until SIGTERM/SIGINT.
struct FakeWBPortalCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-wb-portal",
        abstract: "Run the fake WB Seller portal (host-routed) until SIGTERM or SIGINT.",
        discussion:
            "FAKE_WB_PORTAL_PORT (default 9110); FAKE_WB_PORTAL_REFRESH is the wbx-refresh cookie a new device logs in with (default demo-refresh); FAKE_WB_PORTAL_ACCESS_LIFETIME (default 30m) and FAKE_WB_PORTAL_LK_LIFETIME (default 300s) how long its tokens are accepted. POST /__fake__/fault?kind=500|slow|truncate|encoding|401&path=…&count=N and POST /__fake__/end-sessions on any host inject faults."
    )

    @Option(help: "Port to listen on (overrides FAKE_WB_PORTAL_PORT).") var port: Int?

    func run() async throws {
        do {
            let environment = EnvironmentReader()
            let logger = try Runtime.logger("joycity.fake-wb-portal", environment: environment)
            let listen = try port ?? environment.int("FAKE_WB_PORTAL_PORT", default: 9110, range: 0...65535)
            let portal = FakeWBPortal(settings: try FakeWBPortal.Settings(environment: environment))
            let app = portal.application(host: environment.string("FAKE_WB_PORTAL_HOST", default: "127.0.0.1"), port: listen, logger: logger) {
                bound in
                FileHandle.standardOutput.write(Data("fake WB portal listening on port \(bound)\n".utf8))
            }
            try await Runtime.serviceGroup([app], environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}
