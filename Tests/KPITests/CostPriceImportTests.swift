import Assignments
import FleetTesting
import Foundation
import KPI
import Spreadsheet
import Testing

/// Cost prices from spreadsheets made by openpyxl and LibreOffice, through the assignments' readers.
@Suite("Cost-price import", .serialized)
struct CostPriceImportTests {
    /// Writes a workbook with openpyxl: `rows` as Python literals (the first is the header). → the file's bytes.
    static func workbook(_ rows: [String]) throws -> Data {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-cost-\(UUID().uuidString).xlsx").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let script = """
            import sys, openpyxl
            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = "Себестоимость"
            for row in [\(rows.joined(separator: ", "))]:
                ws.append(row)
            wb.save(sys.argv[1])
            """
        let (status, output) = try runPython(script, arguments: [path])
        guard status == 0 else { throw TestSetupError("openpyxl failed: \(output)") }
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    static func prices(_ f: KPIFixture) async throws -> [Int64: Double] {
        Dictionary(try await f.store.costPrices(account: f.account).map { ($0.nmId, $0.cost) }, uniquingKeysWith: { a, _ in a })
    }

    @Test("numbers and Russian-style text prices: a dry run reports and writes nothing, the import applies, again changes nothing")
    func importsPrices() async throws {
        try await KPIFixture.run { f in
            let before = try await Self.prices(f)
            let file = try Self.workbook([
                #"["Артикул WB", "Себестоимость, ₽"]"#, "[9001, 412.5]", #"["9002", "1 234,50"]"#, "[9003, 0]", "[None, None]",
                #"["'9004", "12 руб"]"#, "[9001, 412.5]",
            ])
            let importer = CostPriceImport(store: f.store)
            let dry = try await importer.run(file, account: f.account, replace: false, dryRun: true, by: "test")
            #expect(dry.format == .xlsx && dry.rows == 5 && dry.problems.isEmpty, "\(dry)")
            #expect(dry.added == 4 && dry.changed == 0 && !dry.applied)
            #expect(try await Self.prices(f) == before)

            let applied = try await importer.run(file, account: f.account, replace: false, dryRun: false, by: "test")
            #expect(applied.applied && applied.added == 4)
            let after = try await Self.prices(f)
            #expect(after[9001] == 412.5 && after[9002] == 1234.5 && after[9003] == 0 && after[9004] == 12)
            // What was there before the import stays (no replace).
            for (nm, cost) in before { #expect(after[nm] == cost) }

            let again = try await importer.run(file, account: f.account, replace: false, dryRun: false, by: "test")
            #expect(again.unchanged == 4 && again.added == 0 && again.changed == 0)

            // replace: the file becomes the whole table.
            let only = try Self.workbook([#"["nmId", "cost price"]"#, "[9001, 500]"])
            let replaced = try await importer.run(only, account: f.account, replace: true, dryRun: false, by: "test")
            #expect(replaced.changed == 1 && replaced.removed == after.count - 1, "\(replaced)")
            #expect(try await Self.prices(f) == [9001: 500])
        }
    }

    @Test("every bad row is reported with its row and column, and nothing is written")
    func reportsProblems() async throws {
        try await KPIFixture.run { f in
            let before = try await Self.prices(f)
            let file = try Self.workbook([
                #"["nmId", "Себестоимость"]"#, "[9001, 100]", #"[9002, "abc"]"#, "[9003, -5]", "[9004, None]", #"["x12", 10]"#,
                "[9001, 120]", #"[9005, "1,234.50"]"#,
            ])
            let report = try await CostPriceImport(store: f.store).run(file, account: f.account, replace: false, dryRun: false, by: "test")
            #expect(!report.applied)
            let found = report.problems.map { "\($0.row) \($0.column ?? "-") \($0.kind.rawValue)" }
            #expect(
                found == ["3 B badCostPrice", "4 B badCostPrice", "5 B emptyCell", "6 A badNmId", "7 - duplicateRow", "8 B badCostPrice"],
                "\(found)"
            )
            #expect(report.problems.first { $0.kind == .duplicateRow }?.otherRow == 2)
            #expect(report.problems.first?.message.contains("\"abc\" in B3") == true)
            #expect(try await Self.prices(f) == before)
        }
    }

    @Test("a file without the columns, or not a spreadsheet, is refused saying what is missing")
    func refusesUnreadableFiles() async throws {
        try await KPIFixture.run { f in
            let importer = CostPriceImport(store: f.store)
            let noCost = try Self.workbook([#"["nmId", "price"]"#, "[9001, 100]"])
            let missing = await #expect(throws: KPIError.self) {
                _ = try await importer.run(noCost, account: f.account, replace: false, dryRun: true, by: "test")
            }
            #expect(missing?.message.contains("a cost price column") == true, "\(String(describing: missing))")
            let legacy = await #expect(throws: KPIError.self) {
                _ = try await importer.run(Data([0xD0, 0xCF, 0x11, 0xE0, 0, 0]), account: f.account, replace: false, dryRun: true, by: "test")
            }
            #expect(legacy?.message.contains(".xls") == true, "\(String(describing: legacy))")
            let unknown = await #expect(throws: KPIError.self) {
                _ = try await importer.run(noCost, account: 999_999, replace: false, dryRun: true, by: "test")
            }
            #expect(unknown?.kind == .notFound)
        }
    }

    @Test("a file LibreOffice saved (from a CSV with a decimal comma) imports the same")
    func libreOfficeFile() async throws {
        try await KPIFixture.run { f in
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("joycity-cost-lo-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: directory) }
            let csv = directory.appendingPathComponent("cost.csv")
            try "Артикул WB;Себестоимость\n9101;\"99,90\"\n9102;250\n".write(to: csv, atomically: true, encoding: .utf8)
            try await runSoffice(["--infilter=CSV:59,34,76,1", "--convert-to", "xlsx", "--outdir", directory.path, csv.path])
            let file = try Data(contentsOf: directory.appendingPathComponent("cost.xlsx"))
            let report = try await CostPriceImport(store: f.store).run(file, account: f.account, replace: false, dryRun: false, by: "test")
            #expect(report.applied && report.added == 2 && report.problems.isEmpty, "\(report)")
            let prices = try await Self.prices(f)
            #expect(prices[9101] == 99.9 && prices[9102] == 250)
        }
    }

    @Test("CSV: the delimiter is the one every line uses alike, so a comma in a header does not split the file wrongly")
    func csvDelimiter() throws {
        func rows(_ text: String) throws -> [[String]] {
            var out: [[String]] = []
            try SpreadsheetFile.readRows(Data(text.utf8)) { out.append($0.cells.map { $0?.text ?? "" }) }
            return out
        }
        #expect(
            try rows("nmId;Себестоимость, ₽\n9001;\"412,50\"\n9002;1000\n") == [
                ["nmId", "Себестоимость, ₽"], ["9001", "412,50"], ["9002", "1000"],
            ]
        )
        #expect(try rows("nmId,cost\n9001,412.5\n") == [["nmId", "cost"], ["9001", "412.5"]])
        #expect(try rows("nmId\tcost; rub\n9001\t5\n") == [["nmId", "cost; rub"], ["9001", "5"]])
        // One line: the most used; a tie goes to the comma, as before.
        #expect(try rows("a;b;c,d") == [["a", "b", "c,d"]])
        #expect(try rows("a;b,c") == [["a;b", "c"]])
    }
}
