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

    /// The delimiter: of `;`, `,` and tab, the one every one of the first lines (up to 20) uses the same number of
    /// times outside quotes, the most used if several do; failing that the one the first line uses most (`,` when it
    /// uses none). So `nmId;Себестоимость, ₽` over `9001;412` is split at `;`, though its header has a comma too.
    static func delimiter(of text: String) -> Unicode.Scalar {
        let candidates: [Unicode.Scalar] = [";", ",", "\t"]
        var lines: [[Unicode.Scalar: Int]] = []
        var counts: [Unicode.Scalar: Int] = [:]
        var quoted = false
        var previous: Unicode.Scalar = "\n"
        for scalar in text.unicodeScalars {
            if scalar == "\"" { quoted.toggle() }
            if !quoted, scalar == "\n" || scalar == "\r" {
                if previous != "\n" && previous != "\r" { lines.append(counts) }
                counts = [:]
                if lines.count == 20 { break }
            } else if !quoted, candidates.contains(scalar) {
                counts[scalar, default: 0] += 1
            }
            previous = scalar
        }
        if !counts.isEmpty && lines.count < 20 { lines.append(counts) }
        guard let first = lines.first else { return "," }
        let consistent = candidates.filter { delimiter in
            let count = first[delimiter] ?? 0
            return count > 0 && lines.allSatisfy { ($0[delimiter] ?? 0) == count }
        }
        // More uses first; on a tie the comma.
        let order = { (a: Unicode.Scalar, b: Unicode.Scalar) in (first[a] ?? 0) < (first[b] ?? 0) || ((first[a] ?? 0) == (first[b] ?? 0) && a != ",")
        }
        if lines.count > 1, let best = consistent.max(by: order) { return best }
        let best = candidates.max(by: order)!
        return (first[best] ?? 0) > 0 ? best : ","
    }
}
