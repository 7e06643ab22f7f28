/// Why a spreadsheet could not be read. Every case says what to do; callers answer 4xx with it (the file is the
/// problem, never the server).
public enum SpreadsheetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither an .xlsx (a zip) nor text a CSV reader accepts.
    case notASpreadsheet(String)
    /// The zip opened but lacks a part every workbook has.
    case missingPart(String)
    /// A part inflates past the limit (a zip bomb, or simply too big).
    case tooLarge(part: String, limit: Int)
    /// More data rows than allowed.
    case tooManyRows(limit: Int)
    /// A part declares a DTD or entities: refused so nothing can expand or be fetched.
    case forbiddenXML(String)
    /// Broken XML in a part.
    case malformed(String, String)
    /// The sheet named in the request is not in the workbook.
    case sheetNotFound(String, available: [String])
    /// The workbook has no sheets.
    case noSheets

    public var description: String {
        switch self {
        case .notASpreadsheet(let why):
            "the file is neither an .xlsx workbook nor a UTF-8/Windows-1251 CSV (\(why)); save it from Excel or LibreOffice as .xlsx"
        case .missingPart(let part): "the workbook has no \(part); save it again from Excel or LibreOffice as .xlsx"
        case .tooLarge(let part, let limit):
            "\(part) inflates to more than \(limit) bytes; split the file or raise ASSIGNMENT_IMPORT_MAX_INFLATED_BYTES"
        case .tooManyRows(let limit): "the sheet has more than \(limit) rows; split the file or raise ASSIGNMENT_IMPORT_MAX_ROWS"
        case .forbiddenXML(let part): "\(part) declares a DTD or entities, which are refused; save the file again from Excel or LibreOffice"
        case .malformed(let part, let why): "\(part) is not well-formed XML (\(why)); save the file again from Excel or LibreOffice"
        case .sheetNotFound(let name, let available):
            "the workbook has no sheet named \"\(name)\"; its sheets are \(available.map { "\"\($0)\"" }.joined(separator: ", "))"
        case .noSheets: "the workbook has no sheets"
        }
    }
}
