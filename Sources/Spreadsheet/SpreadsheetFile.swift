import Foundation

/// An uploaded table, whatever its format: an .xlsx workbook or a CSV file, told apart by their bytes.
public enum SpreadsheetFile {
    /// The file formats read.
    public enum Format: String, Sendable, Codable {
        case xlsx
        case csv
    }

    /// The format of `data`.
    /// - Throws: ``SpreadsheetError/notASpreadsheet(_:)`` for empty files and legacy binary `.xls`.
    public static func format(of data: Data) throws -> Format {
        if data.isEmpty { throw SpreadsheetError.notASpreadsheet("the file is empty") }
        if data.starts(with: [0x50, 0x4B]) { return .xlsx }
        if data.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw SpreadsheetError.notASpreadsheet("it is a legacy .xls (Excel 97–2003) file or an encrypted workbook")
        }
        return .csv
    }

    /// Calls `body` with every row of `data` — for a workbook, of the sheet named `sheet` (`nil`: the first).
    /// - Throws: ``SpreadsheetError``, or what `body` throws.
    public static func readRows(
        _ data: Data,
        sheet: String? = nil,
        limits: SpreadsheetLimits = SpreadsheetLimits(),
        _ body: (SheetRow) throws -> Void
    ) throws {
        switch try format(of: data) {
        case .xlsx: try XLSXReader(data: data, limits: limits).readRows(sheet: sheet, body)
        case .csv: try CSVReader.readRows(data, limits: limits, body)
        }
    }
}
