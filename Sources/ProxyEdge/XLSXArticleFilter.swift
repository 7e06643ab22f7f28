import Assignments
import Foundation
import Spreadsheet

/// Filters WB's Excel (.xlsx) exports: in every sheet, the rows of articles the user is not assigned are removed and
/// the workbook is rebuilt (values kept, WB's formatting not). A sheet's header is its first row with an article
/// column (`Артикул WB`, `nmId`, … as ``ImportColumns/isArticleHeader(_:)`` knows them); rows above it stay. A row
/// whose article cell is empty or not an id goes; a sheet with rows but no article column refuses the whole file —
/// what the filter cannot read is not shown.
enum XLSXArticleFilter {
    /// The filtered workbook, or nil when it cannot be shown safely.
    static func filter(_ data: Data, assigned: Set<Int64>, limits: SpreadsheetLimits = SpreadsheetLimits()) -> Data? {
        guard let reader = try? XLSXReader(data: data, limits: limits) else { return nil }
        var writer = XLSXWriter()
        for sheet in reader.sheetNames {
            var rows: [[CellValue]] = []
            var articleColumn: Int?
            var readable = true
            do {
                try reader.readRows(sheet: sheet) { row in
                    guard let column = articleColumn else {
                        if let found = row.cells.firstIndex(where: { $0.map { ImportColumns.isArticleHeader($0.text) } ?? false }) {
                            articleColumn = found
                        }
                        rows.append(row.cells.map(Self.value))
                        return
                    }
                    guard let cell = row[column], let id = ArticleFilter.articleID(.string(cell.text)), assigned.contains(id) else { return }
                    rows.append(row.cells.map(Self.value))
                }
            } catch {
                readable = false
            }
            // A sheet with rows but no article column cannot be filtered: refuse the file.
            guard readable, articleColumn != nil || rows.count <= 1 else { return nil }
            writer.addSheet(name: sheet, rows: rows)
        }
        return try? writer.data()
    }

    static func value(_ cell: SheetCell?) -> CellValue {
        switch cell {
        case nil: .empty
        case .number(let value, let raw)?: value.rounded() == value && abs(value) < 9.0e15 ? .integer(Int64(value)) : .text(raw)
        case .date(let serial)?: serial.rounded() == serial ? .integer(Int64(serial)) : .text(String(serial))
        case .text(let text)?: .text(text)
        case .boolean(let value)?: .text(value ? "TRUE" : "FALSE")
        }
    }
}
