import FleetCore
import Foundation
import ZIPFoundation

/// Reads an .xlsx workbook row by row: the sheet's XML is scanned once, front to back, and each row handed to the
/// caller as it ends — no tree of the sheet is ever built. Shared strings, inline strings, numbers, booleans, dates
/// (by the cell's number format), hidden rows and several sheets are understood; whatever wrote the file (Excel,
/// LibreOffice, openpyxl, Google Sheets).
///
/// Hostile files are refused with a ``SpreadsheetError`` before they cost much: not a zip, parts that inflate past
/// ``SpreadsheetLimits/maxInflatedBytes`` in total (zip bombs, checked while inflating, not trusted from the
/// header), more than ``SpreadsheetLimits/maxRows`` rows, any DTD or entity declaration.
public final class XLSXReader {
    /// The sheets' names, in workbook order.
    public let sheetNames: [String]
    private let sheetPaths: [String]
    private let archive: Archive
    private let limits: SpreadsheetLimits
    private var inflated = 0
    private let sharedStrings: [String]
    private let dateStyles: Set<Int>

    /// Opens `data` as a workbook and reads its directory parts (workbook, relationships, shared strings, styles).
    /// - Throws: ``SpreadsheetError``.
    public init(data: Data, limits: SpreadsheetLimits = SpreadsheetLimits()) throws {
        guard data.starts(with: [0x50, 0x4B]) else { throw SpreadsheetError.notASpreadsheet("it does not start as a zip archive") }
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw SpreadsheetError.notASpreadsheet("the zip archive cannot be read: \(error)")
        }
        self.limits = limits
        var inflated = 0
        let workbookPath = try Self.officeDocumentPath(archive, limits: limits, inflated: &inflated)
        guard let workbook = try Self.part(archive, workbookPath, limits: limits, inflated: &inflated) else {
            throw SpreadsheetError.missingPart(workbookPath)
        }
        let directory = workbookPath.split(separator: "/").dropLast().joined(separator: "/")
        let relationsPath =
            (directory.isEmpty ? "" : directory + "/") + "_rels/" + (workbookPath.split(separator: "/").last.map(String.init) ?? "") + ".rels"
        var relations = RelationshipList()
        if let xml = try Self.part(archive, relationsPath, limits: limits, inflated: &inflated) {
            try XMLScanner.scan(xml[...], part: relationsPath, into: &relations)
        }
        var sheets = SheetList()
        try XMLScanner.scan(workbook[...], part: workbookPath, into: &sheets)
        guard !sheets.entries.isEmpty else { throw SpreadsheetError.noSheets }
        sheetNames = sheets.entries.map(\.name)
        sheetPaths = sheets.entries.map { entry in
            let target =
                relations.byID[entry.relation] ?? "worksheets/sheet\(sheets.entries.firstIndex { $0.name == entry.name }.map { $0 + 1 } ?? 1).xml"
            return Self.resolve(target, directory: directory)
        }
        let sharedPath = Self.resolve(relations.byType["sharedStrings"] ?? "sharedStrings.xml", directory: directory)
        let stylesPath = Self.resolve(relations.byType["styles"] ?? "styles.xml", directory: directory)
        if let xml = try Self.part(archive, sharedPath, limits: limits, inflated: &inflated) {
            var strings = SharedStrings()
            try XMLScanner.scan(xml[...], part: sharedPath, into: &strings)
            sharedStrings = strings.values
        } else {
            sharedStrings = []
        }
        if let xml = try Self.part(archive, stylesPath, limits: limits, inflated: &inflated) {
            var styles = Styles()
            try XMLScanner.scan(xml[...], part: stylesPath, into: &styles)
            dateStyles = styles.dateStyleIndexes
        } else {
            dateStyles = []
        }
        self.inflated = inflated
    }

    /// Calls `body` with each row of the sheet named `sheet` (`nil`: the first), in file order; rows with no cells
    /// are skipped.
    /// - Throws: ``SpreadsheetError``, or what `body` throws.
    public func readRows(sheet: String? = nil, _ body: (SheetRow) throws -> Void) throws {
        let index: Int
        if let sheet {
            guard let found = sheetNames.firstIndex(of: sheet) else { throw SpreadsheetError.sheetNotFound(sheet, available: sheetNames) }
            index = found
        } else {
            index = 0
        }
        let path = sheetPaths[index]
        guard let xml = try Self.part(archive, path, limits: limits, inflated: &inflated) else { throw SpreadsheetError.missingPart(path) }
        try withoutActuallyEscaping(body) { body in
            var rows = SheetRows(sharedStrings: sharedStrings, dateStyles: dateStyles, maxRows: limits.maxRows, part: path, body: body)
            try XMLScanner.scan(xml[...], part: path, into: &rows)
        }
    }

    // MARK: Parts

    /// Inflates one part into text, counting what it inflates to against the limit as it goes.
    private static func part(_ archive: Archive, _ path: String, limits: SpreadsheetLimits, inflated: inout Int) throws -> String? {
        guard let entry = archive[path] ?? archive.first(where: { $0.path.caseInsensitiveCompare(path) == .orderedSame }) else { return nil }
        var data = Data()
        let budget = limits.maxInflatedBytes - inflated
        if entry.uncompressedSize > UInt64(max(budget, 0)) { throw SpreadsheetError.tooLarge(part: path, limit: limits.maxInflatedBytes) }
        do {
            _ = try archive.extract(entry, bufferSize: 64 << 10, skipCRC32: false) { chunk in
                guard data.count + chunk.count <= budget else { throw SpreadsheetError.tooLarge(part: path, limit: limits.maxInflatedBytes) }
                data.append(chunk)
            }
        } catch let error as SpreadsheetError {
            throw error
        } catch {
            throw SpreadsheetError.notASpreadsheet("\(path) cannot be inflated: \(error)")
        }
        inflated += data.count
        guard let text = String(data: data, encoding: .utf8) else { throw SpreadsheetError.malformed(path, "it is not UTF-8") }
        return text
    }

    private static func officeDocumentPath(_ archive: Archive, limits: SpreadsheetLimits, inflated: inout Int) throws -> String {
        guard let xml = try part(archive, "_rels/.rels", limits: limits, inflated: &inflated) else { return "xl/workbook.xml" }
        var list = RelationshipList()
        try XMLScanner.scan(xml[...], part: "_rels/.rels", into: &list)
        return list.byType["officeDocument"].map { resolve($0, directory: "") } ?? "xl/workbook.xml"
    }

    /// A relationship target resolved against the directory of the part that names it (`/xl/…` is absolute).
    private static func resolve(_ target: String, directory: String) -> String {
        if target.hasPrefix("/") { return String(target.dropFirst()) }
        var parts = directory.split(separator: "/").map(String.init)
        for component in target.split(separator: "/") {
            if component == ".." {
                _ = parts.popLast()
            } else if component != "." {
                parts.append(String(component))
            }
        }
        return parts.joined(separator: "/")
    }
}

// MARK: - Part handlers

private struct RelationshipList: XMLScanHandler {
    var byID: [String: String] = [:]
    var byType: [String: String] = [:]

    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws {
        guard name == "Relationship", let target = attributes["Target"] else { return }
        if let id = attributes["Id"] { byID[id] = target }
        if let type = attributes["Type"], let last = type.split(separator: "/").last { byType[String(last)] = byType[String(last)] ?? target }
    }
    mutating func end(_ name: Substring) throws {}
    mutating func text(_ raw: Substring, isRaw: Bool) throws {}
}

private struct SheetList: XMLScanHandler {
    var entries: [(name: String, relation: String)] = []

    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws {
        guard name == "sheet", let sheetName = attributes["name"] else { return }
        entries.append((sheetName, attributes["id"] ?? ""))
    }
    mutating func end(_ name: Substring) throws {}
    mutating func text(_ raw: Substring, isRaw: Bool) throws {}
}

private struct SharedStrings: XMLScanHandler {
    var values: [String] = []
    private var current = ""
    private var inText = false
    private var inPhonetic = false

    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws {
        switch name {
        case "si":
            current = ""
            if selfClosing { values.append("") }
        case "t": inText = !selfClosing
        case "rPh": inPhonetic = !selfClosing
        default: break
        }
    }
    mutating func end(_ name: Substring) throws {
        switch name {
        case "si": values.append(current)
        case "t": inText = false
        case "rPh": inPhonetic = false
        default: break
        }
    }
    mutating func text(_ raw: Substring, isRaw: Bool) throws {
        guard inText, !inPhonetic else { return }
        current += isRaw ? String(raw) : XMLEntities.decode(raw)
    }
}

/// Which cell style indexes format numbers as dates: built-in date formats, and custom codes with date letters.
private struct Styles: XMLScanHandler {
    private var customDateFormats: Set<Int> = []
    private var inCellXfs = false
    private var styleIndex = 0
    var dateStyleIndexes: Set<Int> = []

    private static let builtinDateFormats: Set<Int> = Set(14...22).union(27...36).union(45...47).union(50...58)

    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws {
        switch name {
        case "numFmt":
            if let id = attributes["numFmtId"].flatMap(Int.init), let code = attributes["formatCode"], Self.isDateCode(code) {
                customDateFormats.insert(id)
            }
        case "cellXfs": inCellXfs = !selfClosing
        case "xf" where inCellXfs:
            let format = attributes["numFmtId"].flatMap(Int.init) ?? 0
            if Self.builtinDateFormats.contains(format) || customDateFormats.contains(format) { dateStyleIndexes.insert(styleIndex) }
            styleIndex += 1
        default: break
        }
    }
    mutating func end(_ name: Substring) throws {
        if name == "cellXfs" { inCellXfs = false }
    }
    mutating func text(_ raw: Substring, isRaw: Bool) throws {}

    /// A format code shows a date when, outside quotes, brackets and escapes, it has d, m, y, h or s.
    static func isDateCode(_ code: String) -> Bool {
        var inQuote = false
        var inBracket = false
        var escaped = false
        for character in code.lowercased() {
            if escaped {
                escaped = false
                continue
            }
            switch character {
            case "\\": escaped = true
            case "\"": inQuote.toggle()
            case "[" where !inQuote: inBracket = true
            case "]" where !inQuote: inBracket = false
            case "d", "m", "y", "h",
                "s" where !inQuote && !inBracket:
                return true
            default: break
            }
        }
        return false
    }
}

/// The sheet's rows, handed to the caller one by one.
private struct SheetRows: XMLScanHandler {
    let sharedStrings: [String]
    let dateStyles: Set<Int>
    let maxRows: Int
    let part: String
    let body: (SheetRow) throws -> Void

    private var rowNumber = 0
    private var rowCount = 0
    private var row: SheetRow?
    private var column = -1
    private var cellType = ""
    private var cellStyle = 0
    private var value = ""
    private var inValue = false

    init(sharedStrings: [String], dateStyles: Set<Int>, maxRows: Int, part: String, body: @escaping (SheetRow) throws -> Void) {
        self.sharedStrings = sharedStrings
        self.dateStyles = dateStyles
        self.maxRows = maxRows
        self.part = part
        self.body = body
    }

    mutating func start(_ name: Substring, _ attributes: XMLAttributes, selfClosing: Bool) throws {
        switch name {
        case "row":
            rowNumber = attributes["r"].flatMap(Int.init) ?? rowNumber + 1
            column = -1
            let hidden = attributes["hidden"].map { $0 == "1" || $0 == "true" } ?? false
            var cells: [SheetCell?] = []
            cells.reserveCapacity(8)
            row = SheetRow(number: rowNumber, cells: cells, hidden: hidden)
            if selfClosing { try finishRow() }
        case "c":
            column = attributes["r"].flatMap { ColumnName.index(ofReference: $0[...]) } ?? column + 1
            cellType = attributes["t"] ?? "n"
            cellStyle = attributes["s"].flatMap(Int.init) ?? 0
            value = ""
        case "v", "t":
            inValue = !selfClosing
        default: break
        }
    }

    mutating func end(_ name: Substring) throws {
        switch name {
        case "v", "t": inValue = false
        case "c": try finishCell()
        case "row": try finishRow()
        default: break
        }
    }

    mutating func text(_ raw: Substring, isRaw: Bool) throws {
        guard inValue else { return }
        value += isRaw ? String(raw) : XMLEntities.decode(raw)
    }

    private mutating func finishCell() throws {
        guard row != nil, column >= 0, column < 16_384 else { return }
        let cell: SheetCell?
        switch cellType {
        case "s":
            guard let index = Int(value), index >= 0, index < sharedStrings.count else {
                throw SpreadsheetError.malformed(
                    part,
                    "cell \(ColumnName.letters(column))\(rowNumber) names shared string \(value), which does not exist"
                )
            }
            cell = .text(sharedStrings[index])
        case "inlineStr", "str": cell = .text(value)
        case "b": cell = value.isEmpty ? nil : .boolean(value == "1" || value == "true")
        case "e": cell = .text(value)
        case "d": cell = value.isEmpty ? nil : .text(value)
        default:
            if value.isEmpty {
                cell = nil
            } else if let number = Double(value) {
                cell = dateStyles.contains(cellStyle) ? .date(serial: number) : .number(number, raw: value)
            } else {
                throw SpreadsheetError.malformed(part, "cell \(ColumnName.letters(column))\(rowNumber) holds \"\(value)\" as a number")
            }
        }
        guard let cell else { return }
        if row!.cells.count <= column { row!.cells.append(contentsOf: repeatElement(nil, count: column + 1 - row!.cells.count)) }
        row!.cells[column] = cell
    }

    private mutating func finishRow() throws {
        guard let finished = row else { return }
        row = nil
        guard !finished.cells.isEmpty else { return }
        rowCount += 1
        // The header row is not counted against the limit.
        if rowCount > maxRows + 1 { throw SpreadsheetError.tooManyRows(limit: maxRows) }
        try body(finished)
    }
}
