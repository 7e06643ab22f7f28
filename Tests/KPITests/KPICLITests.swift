import Assignments
import FleetTesting
import Foundation
import KPI
import Testing

/// `joycity kpi …` as a user runs it, against the fixture's database.
@Suite("joycity kpi: recompute, rank and explain from the command line", .serialized)
struct KPICLITests {
    static func joycity(_ arguments: [String], _ f: KPIFixture) async throws -> (Int32, String) {
        let process = try FleetProcess(
            ["kpi"] + arguments,
            environment: ["DATABASE_URL": TestPostgres.url(f.database), "QUEUE_PREFIX": "kpi-cli-\(UUID().uuidString.prefix(8))"]
        )
        guard let status = await process.waitForExit(timeout: .seconds(60)) else { throw TestSetupError("joycity kpi \(arguments) did not finish") }
        return (status, process.output)
    }

    @Test("recompute then rank (--json, Russian headers) and explain; a month not computed and an unknown user fail with what to do")
    func commandLine() async throws {
        try await KPIFixture.run { f in
            let month = f.closed.description
            let account = String(f.account)
            var (status, output) = try await Self.joycity(["rank", "--account", account, "--month", month], f)
            #expect(status != 0 && output.contains("has not been computed yet"), "\(output)")
            (status, output) = try await Self.joycity(["recompute", "--account", account, "--month", month, "--json"], f)
            #expect(status == 0, "\(output)")
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .iso8601
            let outcomes = try decoder.decode([KPIStore.Outcome].self, from: Data(output.utf8))
            #expect(outcomes.count == 1 && outcomes[0].computed && outcomes[0].rows["report"] == 7)
            (status, output) = try await Self.joycity(["rank", "--account", account, "--month", month, "--json"], f)
            let rankings = try decoder.decode([KPIRanking].self, from: Data(output.utf8))
            #expect(status == 0 && rankings.first?.rows.map(\.login) == ["boris", "anna", "vera"], "\(output)")
            (status, output) = try await Self.joycity(["rank", "--month", month, "--lang", "ru"], f)
            #expect(status == 0 && output.contains("МЕСТО") && output.contains("(не закреплено)") && output.contains("2500.00"), "\(output)")
            (status, output) = try await Self.joycity(["explain", "anna", "--month", month], f)
            #expect(status == 0 && output.contains("rank 2") && output.contains("104") && output.contains("revenue"), "\(output)")
            (status, output) = try await Self.joycity(["explain", "nobody", "--month", month], f)
            #expect(status != 0 && output.contains("nobody"), "\(output)")
        }
    }
}
