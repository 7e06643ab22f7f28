import Foundation
import Spreadsheet
import Testing

@testable import ProxyEdge

@Suite("Excel exports through the filter")
struct XLSXArticleFilterTests {
    static func workbook(_ sheets: [(String, [[CellValue]])]) throws -> Data {
        var writer = XLSXWriter()
        for (name, rows) in sheets { writer.addSheet(name: name, rows: rows) }
        return try writer.data()
    }

    static func rows(_ data: Data, sheet: String? = nil) throws -> [[String]] {
        var rows: [[String]] = []
        try XLSXReader(data: data).readRows(sheet: sheet) { rows.append($0.cells.map { $0?.text ?? "" }) }
        return rows
    }

    @Test("other managers' rows go from every sheet; title and header rows stay; ids as text count; unreadable ids go")
    func filters() throws {
        let data = try Self.workbook([
            (
                "Продажи",
                [
                    [.text("Отчёт")], [.text("Бренд"), .text("Артикул WB"), .text("Шт")], [.text("К"), .integer(178_231_456), .integer(3)],
                    [.text("К"), .integer(209_455_871), .integer(9)], [.text("К"), .text("231906114"), .integer(1)],
                    [.text("К"), .text("n/a"), .integer(5)],
                ]
            ),
            ("Остатки", [[.text("nmId"), .text("Склад")], [.integer(209_455_871), .text("Коледино")]]),
        ])
        let filtered = try #require(XLSXArticleFilter.filter(data, assigned: [178_231_456, 231_906_114]))
        #expect(
            try Self.rows(filtered, sheet: "Продажи") == [
                ["Отчёт"], ["Бренд", "Артикул WB", "Шт"], ["К", "178231456", "3"], ["К", "231906114", "1"],
            ]
        )
        #expect(try Self.rows(filtered, sheet: "Остатки") == [["nmId", "Склад"]])
    }

    @Test("a sheet with rows but no article column, or a file that is not a workbook, is refused")
    func refuses() throws {
        let noColumn = try Self.workbook([("Data", [[.text("Бренд"), .text("Шт")], [.text("К"), .integer(3)]])])
        #expect(XLSXArticleFilter.filter(noColumn, assigned: [1]) == nil)
        #expect(XLSXArticleFilter.filter(Data("not a zip".utf8), assigned: [1]) == nil)
        let empty = try Self.workbook([("Пусто", [[.text("Отчёт пуст")]])])
        #expect(XLSXArticleFilter.filter(empty, assigned: [1]) != nil, "a sheet with a title only has nothing to hide")
    }
}
