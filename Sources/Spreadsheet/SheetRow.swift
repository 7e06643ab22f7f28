/// One cell's value as the file stores it.
public enum SheetCell: Sendable, Equatable {
    /// Text (shared, inline or a formula's string result), as written.
    case text(String)
    /// A number, with the digits as stored (`178231456`, `1.78231456E8`).
    case number(Double, raw: String)
    /// A number the cell's style formats as a date or time: days since 1899-12-30.
    case date(serial: Double)
    /// `TRUE`/`FALSE`.
    case boolean(Bool)

    /// The cell as text: numbers without a needless `.0`, dates as their serial.
    public var text: String {
        switch self {
        case .text(let value): value
        case .number(let value, let raw): Self.integerText(value) ?? raw
        case .date(let serial): Self.integerText(serial) ?? String(serial)
        case .boolean(let value): value ? "TRUE" : "FALSE"
        }
    }

    private static func integerText(_ value: Double) -> String? {
        guard value.rounded() == value, abs(value) < 9.0e15 else { return nil }
        return String(Int64(value))
    }
}

/// One row of a sheet: its 1-based number in the file, and its cells by 0-based column (`nil`: empty).
public struct SheetRow: Sendable, Equatable {
    /// The row number a spreadsheet program shows (1 is the first row).
    public var number: Int
    /// Cells by column (A is 0); trailing empty cells are dropped.
    public var cells: [SheetCell?]
    /// Whether the row is hidden in the sheet.
    public var hidden: Bool

    /// Creates a row.
    public init(number: Int, cells: [SheetCell?], hidden: Bool = false) {
        self.number = number
        self.cells = cells
        self.hidden = hidden
    }

    /// The cell in column `index`, if any.
    public subscript(_ index: Int) -> SheetCell? { index < cells.count ? cells[index] : nil }

    /// Whether every cell is empty or blank text.
    public var isBlank: Bool {
        cells.allSatisfy { cell in
            guard let cell else { return true }
            if case .text(let value) = cell { return value.allSatisfy(\.isWhitespace) }
            return false
        }
    }
}

/// Limits a reader enforces, so a hostile file costs a bounded amount of memory and time.
public struct SpreadsheetLimits: Sendable, Equatable {
    /// The most bytes all parts of a workbook (or a CSV) may inflate to together.
    public var maxInflatedBytes: Int
    /// The most rows (after the header) a sheet may have.
    public var maxRows: Int

    /// Creates limits (defaults: 64 MiB inflated, 200,000 rows).
    public init(maxInflatedBytes: Int = 64 << 20, maxRows: Int = 200_000) {
        self.maxInflatedBytes = maxInflatedBytes
        self.maxRows = maxRows
    }
}

/// Column letters ↔ 0-based indexes (`A` 0, `Z` 25, `AA` 26).
public enum ColumnName {
    /// The 0-based column of a cell reference such as `AB12` (`nil` when it has no letters).
    public static func index(ofReference reference: Substring) -> Int? {
        var index = 0
        var letters = 0
        for byte in reference.utf8 {
            let upper = byte & 0xDF
            guard upper >= 0x41, upper <= 0x5A else { break }
            index = index * 26 + Int(upper - 0x40)
            letters += 1
            if letters > 3 { return nil }
        }
        return letters == 0 ? nil : index - 1
    }

    /// The letters of 0-based column `index`.
    public static func letters(_ index: Int) -> String {
        var number = index + 1
        var result: [Character] = []
        while number > 0 {
            let remainder = (number - 1) % 26
            result.insert(Character(Unicode.Scalar(UInt8(65 + remainder))), at: 0)
            number = (number - 1) / 26
        }
        return String(result)
    }
}
