import ArgumentParser
import FakeWB
import FleetCore
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import WBKit

/// `joycity fake-wb`: the built-in fake WB API (Statistics + finance-api report) for development and tests.
struct FakeWBCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-wb",
        abstract: "Run the fake WB API, or print one of its tokens.",
        subcommands: [FakeWBServe.self, FakeWBToken.self],
        defaultSubcommand: FakeWBServe.self
    )
}

struct FakeWBServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve generated WB data (FAKE_WB_* settings) until SIGTERM/SIGINT."
    )
    @Option(help: "Port (overrides FAKE_WB_PORT; 0 picks a free one and prints it).") var port: Int?

    func run() async throws {
        do {
            var overrides: [String: String] = [:]
            if let port { overrides["FAKE_WB_PORT"] = String(port) }
            let environment = EnvironmentReader(overrides: overrides)
            let logger = try Runtime.logger("joycity.fake-wb", environment: environment)
            let configuration = try FakeWBConfiguration(environment: environment)
            let state = FakeWBState(configuration: configuration)
            let app = FakeWBServer.application(state: state, host: configuration.host, port: configuration.port, logger: logger) { port in
                FileHandle.standardOutput.write(
                    Data("fake WB listening on http://\(configuration.host):\(port) with \(configuration.accounts) sellers\n".utf8)
                )
            }
            try await Runtime.serviceGroup([app], environment: environment, logger: logger).run()
        } catch {
            Runtime.fail(error)
        }
    }
}

struct FakeWBToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print a token the fake accepts (FAKE_WB_SECRET, FAKE_WB_SEED).")
    @Option(help: "Seller number (1-based).") var seller = 1
    @Option(help: "Categories: statistics,finance.") var scope = "statistics,finance"
    @Flag(help: "An already expired token.") var expired = false
    @Option(help: "Token type acc: 1 base, 2 test (refused by the fleet), 3 personal, 4 service.") var kind = 3

    func run() async throws {
        do {
            let configuration = try FakeWBConfiguration(environment: EnvironmentReader())
            let state = FakeWBTokens(secret: configuration.secret)
            guard let bits = FakeWBTokens.scope(named: scope) else { throw ValidationError("--scope takes statistics and/or finance") }
            let sid = FakeWBSellerID.sid(seller: seller, seed: configuration.seed)
            print(
                state.mint(
                    sid: sid,
                    scope: bits,
                    expires: expired ? Date().addingTimeInterval(-3600) : Date().addingTimeInterval(180 * 86_400),
                    kind: kind
                )
            )
        } catch let error as ValidationError {
            throw error
        } catch {
            Runtime.fail(error)
        }
    }
}
