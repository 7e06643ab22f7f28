import Foundation

/// Reads CSV as spreadsheet programs save it: RFC 4180 quoting, a `;`, `,` or tab delimiter (whichever the header
/// line uses outside quotes — Russian Excel saves `;`), UTF-8 with or without a BOM, or Windows-1251.
public enum CSVReader {
    /// Calls `body` with each non-empty record as a row of text cells (the header is row 1).
    /// - Throws: ``SpreadsheetError`` (`notASpreadsheet` for binary data or an unterminated quote, `tooManyRows`,
    ///   `tooLarge`), or what `body` throws.
    public static func readRows(_ data: Data, limits: SpreadsheetLimits = SpreadsheetLimits(), _ body: (SheetRow) throws -> Void) throws {
        guard data.count <= limits.maxInflatedBytes else { throw SpreadsheetError.tooLarge(part: "the CSV file", limit: limits.maxInflatedBytes) }
        guard !data.contains(0) else { throw SpreadsheetError.notASpreadsheet("it holds binary data") }
        var bytes = data[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        guard let text = String(data: bytes, encoding: .utf8) ?? String(data: bytes, encoding: .windowsCP1251) else {
            throw SpreadsheetError.notASpreadsheet("it is neither UTF-8 nor Windows-1251 text")
        }
        let delimiter = Self.delimiter(of: text)
        var cells: [SheetCell?] = []
        var field = ""
        var quoted = false
        var fieldWasQuoted = false
        var record = 1
        var rows = 0
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil

        func endField() {
            let value = fieldWasQuoted ? field : field.trimmingCharacters(in: .whitespaces)
            cells.append(value.isEmpty ? nil : .text(value))
            field = ""
            fieldWasQuoted = false
        }
        func endRecord() throws {
            endField()
            while let last = cells.last, last == nil { cells.removeLast() }
            if !cells.isEmpty {
                rows += 1
                if rows > limits.maxRows + 1 { throw SpreadsheetError.tooManyRows(limit: limits.maxRows) }
                try body(SheetRow(number: record, cells: cells))
            }
            cells = []
            record += 1
        }

        while let scalar = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if scalar == "\"" {
                    let next = iterator.next()
                    if next == "\"" {
                        field.unicodeScalars.append("\"")
                    } else {
                        quoted = false
                        pending = next
                    }
                } else {
                    field.unicodeScalars.append(scalar)
                }
                continue
            }
            switch scalar {
            case "\"" where field.allSatisfy(\.isWhitespace):
                field = ""
                quoted = true
                fieldWasQuoted = true
            case delimiter: endField()
            case "\r":
                let next = iterator.next()
                if next != "\n" { pending = next }
                try endRecord()
            case "\n": try endRecord()
            default: field.unicodeScalars.append(scalar)
            }
        }
        guard !quoted else { throw SpreadsheetError.notASpreadsheet("a quoted field opened on record \(record) never closes") }
        if !field.isEmpty || !cells.isEmpty || fieldWasQuoted { try endRecord() }
    }

    /// The delimiter the first line uses most outside quotes (`,` when it uses none).
    static func delimiter(of text: String) -> Unicode.Scalar {
        var counts: [Unicode.Scalar: Int] = [";": 0, ",": 0, "\t": 0]
        var quoted = false
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted.toggle() }
            if !quoted, scalar == "\n" || scalar == "\r" { break }
            if !quoted, counts[scalar] != nil { counts[scalar, default: 0] += 1 }
        }
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key != ",") }
        return (best?.value ?? 0) > 0 ? best!.key : ","
    }
}
