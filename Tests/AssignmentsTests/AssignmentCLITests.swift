import Assignments
import FleetTesting
import Foundation
import Queue
import Testing

/// `joycity assignments …` as a user runs it, against the fixture's database and Redis.
@Suite("joycity assignments: template, import, list, export, copy-month, audit from the command line", .serialized)
struct AssignmentCLITests {
    /// Runs the binary to the end; returns its exit status and output.
    static func joycity(_ arguments: [String], database: String, prefix: String) async throws -> (Int32, String) {
        let process = try FleetProcess(
            ["assignments"] + arguments,
            environment: ["DATABASE_URL": database, "QUEUE_PREFIX": prefix, "USER": "tester"]
        )
        guard let status = await process.waitForExit(timeout: .seconds(60)) else { throw TestSetupError("joycity \(arguments) did not finish") }
        return (status, process.output)
    }

    @Test("a dry run changes nothing and exits 0; problems exit 1 with the rows; --json listings; the audit names the CLI")
    func commandLine() async throws {
        try await AssignmentFixture.run { f in
            try await withTemporaryDirectory { dir in
                let database = try await f.databaseURL()
                let prefix = f.queue.configuration.prefix
                let template = dir.appendingPathComponent("t.xlsx").path
                var (status, output) = try await Self.joycity(["template", "-o", template, "--lang", "ru"], database: database, prefix: prefix)
                #expect(status == 0 && FileManager.default.fileExists(atPath: template), "\(output)")

                let m = f.month.description
                let good = dir.appendingPathComponent("good.csv").path
                try "логин;инн;месяц;артикул\nanna;7701234567;\(m);178231456\nboris;7701234567;\(m);209455871\n".write(
                    toFile: good,
                    atomically: true,
                    encoding: .utf8
                )
                (status, output) = try await Self.joycity(["import", good, "--dry-run"], database: database, prefix: prefix)
                #expect(status == 0 && output.contains("dry run: nothing changed"), "\(output)")
                #expect(try await f.articles("anna").isEmpty)
                (status, output) = try await Self.joycity(["import", good, "--as", "dina"], database: database, prefix: prefix)
                #expect(status == 0 && output.contains("applied"), "\(output)")
                #expect(try await f.articles("anna") == [178_231_456])

                let bad = dir.appendingPathComponent("bad.csv").path
                try "login,account inn,month,nmId\nanna,7701234567,\(m),999999999\n".write(toFile: bad, atomically: true, encoding: .utf8)
                (status, output) = try await Self.joycity(["import", bad], database: database, prefix: prefix)
                #expect(status == 1 && output.contains("row 2") && output.contains("notInSyncedData"), "\(output)")
                #expect(try await f.articles("anna") == [178_231_456])

                (status, output) = try await Self.joycity(
                    ["list", "--account", "7701234567", "--month", m, "--json"],
                    database: database,
                    prefix: prefix
                )
                let table = try JSONDecoder().decode(AssignmentStore.MonthTable.self, from: Data(output.utf8))
                #expect(status == 0 && table.total == 2)

                let export = dir.appendingPathComponent("e.xlsx").path
                (status, output) = try await Self.joycity(
                    ["export", "--account", "7701234567", "--month", m, "-o", export],
                    database: database,
                    prefix: prefix
                )
                #expect(status == 0 && (try? Data(contentsOf: URL(fileURLWithPath: export)))?.starts(with: [0x50, 0x4B]) == true, "\(output)")

                let next = AssignmentMonth(year: f.month.month == 12 ? f.month.year + 1 : f.month.year, month: f.month.month % 12 + 1)!
                (status, output) = try await Self.joycity(
                    ["copy-month", "--account", "7701234567", "--from", m, "--month", next.description],
                    database: database,
                    prefix: prefix
                )
                #expect(status == 0 && output.contains("copied into \(next)"), "\(output)")
                #expect(try await f.articles("boris", month: next) == [209_455_871])

                (status, output) = try await Self.joycity(["audit", "--account", "7701234567", "--json"], database: database, prefix: prefix)
                let decoder = JSONDecoder()
                decoder.dateDecodingStrategy = .iso8601
                let audit = try decoder.decode([AuditEntry].self, from: Data(output.utf8))
                #expect(status == 0 && audit.count == 4, "\(output)")
                #expect(audit.filter { $0.source == .import }.allSatisfy { $0.actor == "dina" && $0.actorId == f.users["dina"] })
                #expect(audit.filter { $0.source == .copy }.allSatisfy { $0.actor == "cli:tester" })

                (status, output) = try await Self.joycity(["list", "--account", "0000000000"], database: database, prefix: prefix)
                #expect(status != 0 && output.contains("no seller account"), "\(output)")
            }
        }
    }
}
