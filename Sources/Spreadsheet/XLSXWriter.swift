import FleetCore
import Foundation
import ZIPFoundation

/// A value written to a cell.
public enum CellValue: Sendable, Equatable {
    /// Text (stored once in the shared-strings table, as Excel does).
    case text(String)
    /// A whole number (nmIds, counts), shown without decimals.
    case integer(Int64)
    /// Nothing.
    case empty
}

/// Writes an .xlsx workbook that Excel, LibreOffice and openpyxl open: one or more sheets, a bold frozen header row,
/// shared strings, whole numbers formatted `0`.
public struct XLSXWriter: Sendable {
    private struct Sheet: Sendable {
        var name: String
        var rows: [[CellValue]]
        var widths: [Double]
    }

    private var sheets: [Sheet] = []

    /// An empty workbook; add at least one sheet.
    public init() {}

    /// Adds a sheet whose first row is the header. `name` is trimmed to Excel's rules (31 characters, no `[]:*?/\`).
    public mutating func addSheet(name: String, rows: [[CellValue]], columnWidths: [Double] = []) {
        let forbidden = Set("[]:*?/\\")
        var clean = String(name.filter { !forbidden.contains($0) }.prefix(31))
        if clean.isEmpty { clean = "Sheet\(sheets.count + 1)" }
        sheets.append(Sheet(name: clean, rows: rows, widths: columnWidths))
    }

    /// The workbook's bytes.
    /// - Throws: ZIPFoundation's error if the archive cannot be assembled (out of memory).
    public func data() throws -> Data {
        var strings: [String] = []
        var stringIndex: [String: Int] = [:]
        var sheetXML: [String] = []
        for sheet in sheets.isEmpty ? [Sheet(name: "Sheet1", rows: [], widths: [])] : sheets {
            var xml = """
                <?xml version="1.0" encoding="UTF-8" standalone="yes"?>
                <worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
                xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
                """
            if !sheet.rows.isEmpty {
                xml +=
                    "<sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>"
            }
            if !sheet.widths.isEmpty {
                xml += "<cols>"
                for (index, width) in sheet.widths.enumerated() {
                    xml += "<col min=\"\(index + 1)\" max=\"\(index + 1)\" width=\"\(width)\" customWidth=\"1\"/>"
                }
                xml += "</cols>"
            }
            xml += "<sheetData>"
            for (rowIndex, row) in sheet.rows.enumerated() {
                let number = rowIndex + 1
                xml += "<row r=\"\(number)\">"
                for (column, value) in row.enumerated() {
                    let reference = ColumnName.letters(column) + String(number)
                    let style = rowIndex == 0 ? 1 : 0
                    switch value {
                    case .empty: continue
                    case .integer(let integer): xml += "<c r=\"\(reference)\" s=\"\(rowIndex == 0 ? 1 : 2)\"><v>\(integer)</v></c>"
                    case .text(let text):
                        let index: Int
                        if let known = stringIndex[text] {
                            index = known
                        } else {
                            index = strings.count
                            strings.append(text)
                            stringIndex[text] = index
                        }
                        xml += "<c r=\"\(reference)\" s=\"\(style)\" t=\"s\"><v>\(index)</v></c>"
                    }
                }
                xml += "</row>"
            }
            xml += "</sheetData></worksheet>"
            sheetXML.append(xml)
        }
        let names = sheets.isEmpty ? ["Sheet1"] : sheets.map(\.name)
        var parts: [(String, String)] = [
            ("[Content_Types].xml", Self.contentTypes(sheets: names.count)),
            ("_rels/.rels", Self.rootRelations),
            ("xl/workbook.xml", Self.workbook(names)),
            ("xl/_rels/workbook.xml.rels", Self.workbookRelations(sheets: names.count)),
            ("xl/styles.xml", Self.styles),
            ("xl/sharedStrings.xml", Self.sharedStrings(strings)),
        ]
        for (index, xml) in sheetXML.enumerated() { parts.append(("xl/worksheets/sheet\(index + 1).xml", xml)) }
        let archive = try Archive(accessMode: .create)
        for (path, text) in parts {
            let bytes = Data(text.utf8)
            try archive.addEntry(with: path, type: .file, uncompressedSize: Int64(bytes.count), compressionMethod: .deflate) { position, size in
                bytes.subdata(in: Int(position)..<Int(position) + size)
            }
        }
        return archive.data ?? Data()
    }

    private static let header = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"

    private static func contentTypes(sheets: Int) -> String {
        var xml =
            header + """
                <Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
                <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
                <Default Extension="xml" ContentType="application/xml"/>\
                <Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
                <Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
                <Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>
                """
        for index in 1...sheets {
            xml +=
                "<Override PartName=\"/xl/worksheets/sheet\(index).xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
        }
        return xml + "</Types>"
    }

    private static let rootRelations =
        header + """
            <Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
            <Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>\
            </Relationships>
            """

    private static func workbook(_ names: [String]) -> String {
        var xml =
            header + """
                <workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
                xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>
                """
        for (index, name) in names.enumerated() {
            xml += "<sheet name=\"\(XMLEntities.escape(name))\" sheetId=\"\(index + 1)\" r:id=\"rId\(index + 1)\"/>"
        }
        return xml + "</sheets></workbook>"
    }

    private static func workbookRelations(sheets: Int) -> String {
        let base = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
        var xml = header + "<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">"
        for index in 1...sheets {
            xml += "<Relationship Id=\"rId\(index)\" Type=\"\(base)/worksheet\" Target=\"worksheets/sheet\(index).xml\"/>"
        }
        xml += "<Relationship Id=\"rId\(sheets + 1)\" Type=\"\(base)/styles\" Target=\"styles.xml\"/>"
        xml += "<Relationship Id=\"rId\(sheets + 2)\" Type=\"\(base)/sharedStrings\" Target=\"sharedStrings.xml\"/>"
        return xml + "</Relationships>"
    }

    /// Style 0: plain; 1: bold (the header); 2: whole numbers (`0`, so nmIds never show as 1.78E+08).
    private static let styles =
        header + """
            <styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
            <fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>\
            <fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
            <borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
            <cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
            <cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
            <xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
            <xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
            <cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
            </styleSheet>
            """

    private static func sharedStrings(_ strings: [String]) -> String {
        var xml =
            header
            + "<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" count=\"\(strings.count)\" uniqueCount=\"\(strings.count)\">"
        for string in strings {
            let space = string.first?.isWhitespace == true || string.last?.isWhitespace == true ? " xml:space=\"preserve\"" : ""
            xml += "<si><t\(space)>\(XMLEntities.escape(string))</t></si>"
        }
        return xml + "</sst>"
    }
}
