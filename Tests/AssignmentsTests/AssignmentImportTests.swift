import Assignments
import FleetCore
import FleetStore
import FleetTesting
import Foundation
import PostgresNIO
import Spreadsheet
import Testing

/// Imports of files made by real spreadsheet programs (openpyxl, LibreOffice), every row problem, hostile files.
@Suite("assignment import and export: real spreadsheets, row problems, hostile files, round trip", .serialized)
struct AssignmentImportTests {
    static func importer(_ f: AssignmentFixture) -> AssignmentImport { AssignmentImport(store: f.store) }
    static let context = ChangeContext(actorId: nil, actor: "cli:test", source: .import)

    @Test(
        "openpyxl files: shared and inline strings, numbers as text and as numbers, dates, empty and hidden rows, sheets, Russian headers, nmId lists"
    )
    func openpyxlVariants() async throws {
        try await AssignmentFixture.run { f in
            try await withTemporaryDirectory { dir in
                let path = dir.appendingPathComponent("variants.xlsx").path
                let month = f.month
                _ = try python(
                    """
                    import sys, datetime, openpyxl
                    from openpyxl.cell.rich_text import CellRichText, TextBlock
                    from openpyxl.cell.text import InlineFont
                    wb = openpyxl.Workbook()
                    notes = wb.active; notes.title = "Notes"; notes["A1"] = "not the data"
                    ws = wb.create_sheet("Data")
                    ws.append(["Логин", "ИНН", "Месяц", "Артикул", "Артикулы"])
                    y, m = \(month.year), \(month.month)
                    ws.append(["anna", "7701234567", f"{y:04d}-{m:02d}", 178231456, None])          # number
                    ws.append(["ANNA@example.test", 7701234567, datetime.date(y, m, 15), "209455871", None])  # e-mail, date, text
                    ws.append([None, None, None, None, None])                                        # empty row
                    ws.append(["boris", "7701234567", f"{m:02d}.{y:04d}", "'231906114", None])      # apostrophe text
                    ws.append(["boris", "7701234567", f"{y:04d}-{m:02d}", 3.00000001e8, None])     # float
                    ws.append(["boris", "7701234567", f"{y:04d}-{m:02d}", None, "300000002, 300000003;300000004"])
                    ws.row_dimensions[6].hidden = True
                    ws["D6"].number_format = "0.00E+00"
                    wb.save(sys.argv[1])
                    """,
                    [path]
                )
                let data = try Data(contentsOf: URL(fileURLWithPath: path))
                // The first sheet has no header: it says so, by name.
                let first = await #expect(throws: AssignmentError.self) { try await Self.importer(f).run(data, context: Self.context, dryRun: true) }
                #expect(first?.problems.contains { $0.kind == .missingColumn } == true)
                let missing = await #expect(throws: AssignmentError.self) {
                    try await Self.importer(f).run(data, sheet: "Nope", context: Self.context, dryRun: true)
                }
                #expect(missing?.message.contains("Data") == true)
                let dry = try await Self.importer(f).run(data, sheet: "Data", context: Self.context, dryRun: true)
                #expect(dry.problems == [])
                #expect(dry.rows == 5 && dry.hiddenRows == 1 && dry.added == 7 && !dry.applied)
                #expect(try await f.articles("anna").isEmpty)
                let applied = try await Self.importer(f).run(data, sheet: "Data", context: Self.context, dryRun: false)
                #expect(applied.applied && applied.added == 7)
                #expect(try await f.articles("anna") == [178_231_456, 209_455_871])
                #expect(try await f.articles("boris") == [231_906_114, 300_000_001, 300_000_002, 300_000_003, 300_000_004])
                // The same file again changes nothing and audits nothing.
                let audits = try await f.store.audit(AuditFilter(source: .import)).count
                let again = try await Self.importer(f).run(data, sheet: "Data", context: Self.context, dryRun: false)
                #expect(again.added == 0 && again.removed == 0 && again.unchanged == 7)
                #expect(try await f.store.audit(AuditFilter(source: .import)).count == audits)
            }
        }
    }

    @Test(
        "a workbook written by hand as other programs do: inline strings, rich-text shared strings with phonetics, prefixed tags, no row or cell references"
    )
    func handWrittenWorkbook() async throws {
        try await AssignmentFixture.run { f in
            try await withTemporaryDirectory { dir in
                let path = dir.appendingPathComponent("hand.xlsx").path
                _ = try python(
                    """
                    import sys, zipfile
                    month = sys.argv[2]
                    ns = 'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
                    parts = {
                      "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>',
                      "_rels/.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="R1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="/xl/workbook.xml"/></Relationships>',
                      "xl/workbook.xml": f'<?xml version="1.0"?><x:workbook {ns}><x:sheets><x:sheet name="Лист1" sheetId="1" r:id="R7"/></x:sheets></x:workbook>',
                      "xl/_rels/workbook.xml.rels": '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="R7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="sheets/data.xml"/><Relationship Id="R8" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="strings.xml"/></Relationships>',
                      "xl/strings.xml": f'<?xml version="1.0"?><x:sst {ns}><x:si><x:r><x:t>an</x:t></x:r><x:r><x:rPr><x:b/></x:rPr><x:t>na</x:t></x:r><x:rPh sb="0" eb="1"><x:t>ignored</x:t></x:rPh></x:si><x:si><x:t xml:space="preserve"> 7701234567 </x:t></x:si></x:sst>',
                      "xl/sheets/data.xml": f'<?xml version="1.0"?><x:worksheet {ns}><x:sheetData>'
                        '<x:row><x:c t="inlineStr"><x:is><x:t>Login</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>INN</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>Month</x:t></x:is></x:c><x:c t="inlineStr"><x:is><x:t>nmIds</x:t></x:is></x:c></x:row>'
                        f'<x:row><x:c t="s"><x:v>0</x:v></x:c><x:c t="s"><x:v>1</x:v></x:c><x:c t="str"><x:v>{month}</x:v></x:c><x:c t="inlineStr"><x:is><x:r><x:t>178231456, </x:t></x:r><x:r><x:t>209455871</x:t></x:r></x:is></x:c></x:row>'
                        '</x:sheetData></x:worksheet>',
                    }
                    with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                        for name, text in parts.items(): z.writestr(name, text)
                    """,
                    [path, f.month.description]
                )
                let report = try await Self.importer(f).run(try Data(contentsOf: URL(fileURLWithPath: path)), context: Self.context, dryRun: false)
                #expect(report.problems == [] && report.applied, "\(report.problems)")
                #expect(try await f.articles("anna") == [178_231_456, 209_455_871])
            }
        }
    }

    @Test("every row problem is reported with its row and reason, and nothing is applied")
    func rowProblems() async throws {
        try await AssignmentFixture.run { f in
            _ = try await f.set("boris", [300_000_050])
            let m = f.month.description
            let csv = """
                login;account inn;month;nmId
                nobody;7701234567;\(m);178231456
                vera;7701234567;\(m);178231456
                anna;7701234567;2026-13;178231456
                anna;7701234567;\(m);abc
                anna;7701234567;\(m);999999999
                anna;7701234567;\(m);209455871
                anna;7701234567;\(m);209455871
                gleb;7701234567;\(m);231906114
                dina;7701234567;\(m);300000010
                anna;7701234567;\(m);300000010
                anna;7701234567;\(m);300000050
                anna;;\(m);300000011
                anna;0000000000;\(m);300000012
                anna;7701234567;\(m);300000013
                """
            let report = try await Self.importer(f).run(Data(csv.utf8), context: Self.context, dryRun: true)
            let kinds = Dictionary(grouping: report.problems, by: \.row).mapValues { $0.map(\.kind) }
            #expect(kinds[2] == [.unknownUser])
            #expect(kinds[3] == [.userInOtherAccount])
            #expect(kinds[4] == [.badMonth])
            #expect(kinds[5] == [.badNmId])
            #expect(kinds[6] == [.notInSyncedData])
            #expect(kinds[8] == [.duplicateRow])
            #expect(kinds[9] == [.userDisabled])
            #expect(kinds[11] == [.claimedByTwoRows])
            #expect(kinds[12] == [.claimedByOtherUser])
            #expect(report.problems.first { $0.row == 12 }?.message.contains("boris") == true)
            #expect(kinds[13] == [.emptyCell])
            #expect(kinds[14] == [.unknownAccount])
            #expect(kinds[7] == nil && kinds[10] == nil && kinds[15] == nil)
            #expect(!report.applied)
            let applied = try await Self.importer(f).run(Data(csv.utf8), context: Self.context, dryRun: false)
            #expect(!applied.applied && applied.problems.count == report.problems.count)
            #expect(try await f.articles("anna").isEmpty)
            #expect(try await f.articles("dina").isEmpty)
            // Missing columns name what is needed.
            let noColumn = await #expect(throws: AssignmentError.self) {
                try await Self.importer(f).run(Data("login,month\nanna,\(m)\n".utf8), context: Self.context, dryRun: true)
            }
            #expect(noColumn?.problems.map(\.kind) == [.missingColumn, .missingColumn])
        }
    }

    @Test("in an account with shared articles two rows may give one article to two managers; the same manager twice is still a duplicate")
    func sharedImport() async throws {
        try await AssignmentFixture.run { f in
            try await f.client.query("UPDATE seller_accounts SET shared_articles = true WHERE id = \(f.one)", logger: TestRedis.logger)
            let m = f.month.description
            let csv = "login,inn,month,nmId\nanna,7701234567,\(m),178231456\nboris,7701234567,\(m),178231456\nboris,7701234567,\(m),178231456\n"
            let report = try await Self.importer(f).run(Data(csv.utf8), context: Self.context, dryRun: true)
            #expect(report.problems.map(\.kind) == [.duplicateRow] && report.problems.first?.row == 4 && report.problems.first?.otherRow == 3)
            let fixed = String(csv.split(separator: "\n").dropLast().joined(separator: "\n"))
            let applied = try await Self.importer(f).run(Data(fixed.utf8), context: Self.context, dryRun: false)
            #expect(applied.applied && applied.added == 2)
            #expect(try await f.articles("anna") == [178_231_456])
            #expect(try await f.articles("boris") == [178_231_456])
        }
    }

    @Test("hostile files get a clear refusal and change nothing: not a zip, zip bomb, too many rows, DTD and entities, legacy .xls, too big")
    func hostileFiles() async throws {
        try await AssignmentFixture.run { f in
            try await withTemporaryDirectory { dir in
                let bomb = dir.appendingPathComponent("bomb.xlsx").path
                let entities = dir.appendingPathComponent("entities.xlsx").path
                let many = dir.appendingPathComponent("many.xlsx").path
                _ = try python(
                    """
                    import sys, zipfile, openpyxl
                    bomb, entities, many = sys.argv[1:4]
                    # A valid workbook whose sheet inflates to 200 MB of zeros-ish XML.
                    wb = openpyxl.Workbook(); wb.active.append(["login", "account", "month", "nmId"]); wb.save(bomb)
                    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:
                        z.writestr("xl/sharedStrings.xml", "<sst>" + " " * (200 << 20) + "</sst>")
                    wb = openpyxl.Workbook(); wb.active.append(["login", "account", "month", "nmId"]); wb.save(entities)
                    src = zipfile.ZipFile(entities); parts = {n: src.read(n) for n in src.namelist()}; src.close()
                    laughs = b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;"><!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    body = parts["xl/worksheets/sheet1.xml"]
                    parts["xl/worksheets/sheet1.xml"] = laughs + (body.split(b"?>", 1)[1] if body.startswith(b"<?xml") else body)
                    with zipfile.ZipFile(entities, "w", zipfile.ZIP_DEFLATED) as z:
                        for n, b in parts.items(): z.writestr(n, b)
                    wb = openpyxl.Workbook(write_only=True); ws = wb.create_sheet()
                    ws.append(["login", "account", "month", "nmId"])
                    for i in range(120): ws.append(["anna", "7701234567", "2026-12", 300000000 + i])
                    wb.save(many)
                    """,
                    [bomb, entities, many]
                )
                var configuration = f.store.configuration
                configuration.maxImportRows = 100
                configuration.maxInflatedBytes = 16 << 20
                configuration.maxImportBytes = 1 << 20
                let limited = AssignmentImport(
                    store: AssignmentStore(client: f.client, configuration: configuration, events: nil, logger: TestRedis.logger)
                )
                let cases: [(String, Data, String)] = [
                    ("not a zip", Data([0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0, 1, 2, 3]), "zip"),
                    ("zip bomb", try Data(contentsOf: URL(fileURLWithPath: bomb)), "inflates"),
                    ("DTD", try Data(contentsOf: URL(fileURLWithPath: entities)), "DTD"),
                    ("too many rows", try Data(contentsOf: URL(fileURLWithPath: many)), "100 rows"),
                    ("legacy xls", Data([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] + [UInt8](repeating: 0, count: 64)), ".xls"),
                    ("binary", Data([0x01, 0x00, 0x02]), "binary"),
                    ("too big", Data(repeating: 0x41, count: (1 << 20) + 1), "ASSIGNMENT_IMPORT_MAX_BYTES"),
                    ("empty", Data(), "empty"),
                ]
                for (name, data, says) in cases {
                    let error = await #expect(throws: AssignmentError.self, "\(name)") {
                        try await limited.run(data, context: Self.context, dryRun: false)
                    }
                    #expect(error?.kind == .importRejected, "\(name)")
                    #expect(error?.message.contains(says) == true, "\(name): \(error?.message ?? "")")
                }
                #expect(try await f.count("SELECT count(*) FROM assignments") == 0)
            }
        }
    }

    @Test("a file saved by LibreOffice imports; the export of a month opens in openpyxl and LibreOffice and imports back to the same assignments")
    func libreOfficeAndRoundTrip() async throws {
        try await AssignmentFixture.run { f in
            try await withTemporaryDirectory { dir in
                let m = f.month.description
                let csv = dir.appendingPathComponent("lo.csv")
                try Data(
                    "login,account inn,month,nmId\nanna,7701234567,\(m),178231456\nboris,7701234567,\(m),1.78231457E8\nboris,7701234567,\(m),209455871\n"
                        .utf8
                )
                .write(to: csv)
                // 178231457 is unknown: force it with a comment, as a head of sales would.
                try await runSoffice(["--convert-to", "xlsx", "--outdir", dir.path, csv.path])
                let converted = try Data(contentsOf: dir.appendingPathComponent("lo.xlsx"))
                let forced = ChangeContext(actorId: nil, actor: "cli:test", source: .import, force: true, comment: "new card")
                let report = try await Self.importer(f).run(converted, context: forced, dryRun: false)
                #expect(report.problems == [] && report.applied && report.added == 3)
                #expect(try await f.articles("boris") == [178_231_457, 209_455_871])

                let export = try await AssignmentExport.month(f.store, account: f.one, month: f.month)
                let exported = dir.appendingPathComponent("export.xlsx")
                try export.write(to: exported)
                let read = try python(
                    """
                    import sys, openpyxl
                    ws = openpyxl.load_workbook(sys.argv[1], read_only=True).active
                    for row in ws.iter_rows(values_only=True): print("|".join("" if v is None else str(v) for v in row))
                    """,
                    [exported.path]
                )
                #expect(read.contains("login|account inn|month|nmId|name"))
                #expect(read.contains("anna|7701234567|\(m)|178231456|Anna"))
                try await runSoffice(["--convert-to", "csv", "--outdir", dir.path, exported.path])
                let viaLibreOffice = try String(contentsOf: dir.appendingPathComponent("export.csv"), encoding: .utf8)
                #expect(viaLibreOffice.contains("boris,7701234567,\(m),178231457,Boris"))
                let again = try await Self.importer(f).run(export, context: Self.context, dryRun: false)
                #expect(again.problems == [] && again.added == 0 && again.removed == 0 && again.unchanged == 3)
                // The template opens and has the header only.
                let template = dir.appendingPathComponent("template.xlsx")
                try AssignmentExport.template(language: .ru).write(to: template)
                let header = try python(
                    "import sys, openpyxl\nwb = openpyxl.load_workbook(sys.argv[1])\nprint(wb.sheetnames, wb.active.max_row, [c.value for c in wb.active[1]])",
                    [template.path]
                )
                #expect(header.contains("['Назначения', 'Инструкция'] 1 ['логин', 'инн', 'месяц', 'артикул', 'имя']"))
            }
        }
    }

    @Test("two imports of one account and month at once never interleave: each applies whole, in turn")
    func concurrentImports() async throws {
        try await AssignmentFixture.run { f in
            let m = f.month.description
            let a = "login,account inn,month,nmId\n" + (0..<50).map { "anna,7701234567,\(m),\(300_000_000 + $0)" }.joined(separator: "\n")
            let b = "login,account inn,month,nmId\n" + (25..<75).map { "boris,7701234567,\(m),\(300_000_000 + $0)" }.joined(separator: "\n")
            let outcomes = await withTaskGroup(of: Result<ImportReport, any Error>.self) { group in
                for file in [a, b] {
                    group.addTask {
                        do { return .success(try await Self.importer(f).run(Data(file.utf8), context: Self.context, dryRun: false)) } catch {
                            return .failure(error)
                        }
                    }
                }
                var results: [Result<ImportReport, any Error>] = []
                for await result in group { results.append(result) }
                return results
            }
            // 25 articles overlap: whichever ran second found them held and was refused whole (or reported them).
            let applied = outcomes.compactMap { try? $0.get() }.filter(\.applied)
            #expect(applied.count == 1)
            let anna = try await f.articles("anna")
            let boris = try await f.articles("boris")
            #expect((anna.count == 50 && boris.isEmpty) || (boris.count == 50 && anna.isEmpty))
            #expect(Set(anna).isDisjoint(with: boris))
        }
    }
}
