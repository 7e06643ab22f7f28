import Foundation
import Spreadsheet

/// Reading the values of an imported file's cells (assignments, cost prices), however the spreadsheet stored them.
public enum ImportCells {
    /// `text` without leading and trailing spaces, tabs, line breaks and no-break spaces (cheap: no Foundation).
    public static func trimmed(_ text: String) -> String {
        func isSpace(_ scalar: Unicode.Scalar) -> Bool {
            scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\r" || scalar == "\u{00A0}" || scalar == "\u{202F}"
        }
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isSpace($0) })!
        if first == scalars.startIndex, scalars.index(after: last) == scalars.endIndex { return text }
        return String(scalars[first...last])
    }

    /// An nmId stored as a number (`178231456`, `1.78231456E8`) or as text (`178231456`, `'178231456`, with spaces).
    public static func nmId(_ cell: SheetCell) -> Int64? {
        switch cell {
        case .number(let value, _): return integer(value)
        case .text(let text): return nmId(text)
        case .date, .boolean: return nil
        }
    }

    static func nmId(_ text: String) -> Int64? {
        if let value = Int64(text), value > 0 { return value }
        var cleaned = trimmed(text)
        if cleaned.hasPrefix("'") { cleaned.removeFirst() }
        cleaned = cleaned.filter { !$0.isWhitespace && $0 != "\u{00A0}" }
        if let value = Int64(cleaned), value > 0 { return value }
        if let value = Double(cleaned.replacingOccurrences(of: ",", with: ".")) { return integer(value) }
        return nil
    }

    /// A list in one cell: separated by commas, semicolons, spaces or line breaks.
    static func nmIdList(_ cell: SheetCell) -> (values: [Int64], bad: [String]) {
        if case .number(let value, _) = cell { return integer(value).map { ([$0], []) } ?? ([], [cell.text]) }
        var values: [Int64] = []
        var bad: [String] = []
        for part in cell.text.split(whereSeparator: { $0 == "," || $0 == ";" || $0.isWhitespace || $0 == "\u{00A0}" }) {
            if let value = nmId(String(part)) { values.append(value) } else { bad.append(String(part)) }
        }
        return (values, bad)
    }

    private static func integer(_ value: Double) -> Int64? {
        guard value.isFinite, value > 0, value < 9.0e15, value.rounded() == value else { return nil }
        return Int64(value)
    }

    /// A month written `2026-12`, `12.2026`, `01.12.2026`, `2026-12-01`, `декабрь 2026`, `December 2026`, or stored
    /// as a date.
    static func month(_ cell: SheetCell) -> AssignmentMonth? {
        switch cell {
        case .date(let serial): return AssignmentMonth(serial: serial)
        case .number(let value, _):
            if value >= 200_001, value <= 299_912, value.rounded() == value {  // 202612
                return AssignmentMonth(year: Int(value) / 100, month: Int(value) % 100)
            }
            return AssignmentMonth(serial: value)
        case .text(let text): return AssignmentMonth(text) ?? named(text)
        case .boolean: return nil
        }
    }

    private static let monthNames: [[String]] = [
        ["январь", "января", "january", "jan"], ["февраль", "февраля", "february", "feb"], ["март", "марта", "march", "mar"],
        ["апрель", "апреля", "april", "apr"], ["май", "мая", "may"], ["июнь", "июня", "june", "jun"], ["июль", "июля", "july", "jul"],
        ["август", "августа", "august", "aug"], ["сентябрь", "сентября", "september", "sep", "sept"],
        ["октябрь", "октября", "october", "oct"], ["ноябрь", "ноября", "november", "nov"], ["декабрь", "декабря", "december", "dec"],
    ]

    private static func named(_ text: String) -> AssignmentMonth? {
        let words = text.lowercased().split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "." })
        guard words.count == 2 else { return nil }
        let (name, yearText) = Int(words[0]) != nil ? (words[1], words[0]) : (words[0], words[1])
        guard let year = Int(yearText), let index = monthNames.firstIndex(where: { $0.contains(String(name)) }) else { return nil }
        return AssignmentMonth(year: year, month: index + 1)
    }
}
