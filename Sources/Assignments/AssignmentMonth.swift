import Foundation

/// A calendar month of assignments, written `YYYY-MM` everywhere (API paths, files, the CLI).
public struct AssignmentMonth: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The year (2000–2999).
    public let year: Int
    /// The month (1–12).
    public let month: Int

    /// Creates a month; `nil` when out of range.
    public init?(year: Int, month: Int) {
        guard (2000...2999).contains(year), (1...12).contains(month) else { return nil }
        self.year = year
        self.month = month
    }

    /// Parses `YYYY-MM` (also `YYYY-MM-DD`, `MM.YYYY` and `DD.MM.YYYY`, as spreadsheets show dates).
    public init?(_ text: String) {
        let trimmed = ImportCells.trimmed(text)
        let dashed = trimmed.split(separator: "-", omittingEmptySubsequences: false)
        let dotted = trimmed.split(separator: ".", omittingEmptySubsequences: false)
        if dashed.count == 2 || (dashed.count == 3 && dashed[2].count <= 2), dashed[0].count == 4, dashed[1].count == 2,
            let year = Int(dashed[0]), let month = Int(dashed[1])
        {
            self.init(year: year, month: month)
        } else if dotted.count == 2 || dotted.count == 3, dotted.last?.count == 4, let year = Int(dotted.last!),
            let month = Int(dotted[dotted.count - 2]), dotted[dotted.count - 2].count <= 2
        {
            self.init(year: year, month: month)
        } else {
            return nil
        }
    }

    /// Parses exactly `YYYY-MM` (what the API and the CLI take).
    public init?(exactly text: String) {
        let bytes = Array(text.utf8)
        guard bytes.count == 7, bytes[4] == UInt8(ascii: "-"),
            bytes.enumerated().allSatisfy({ $0.offset == 4 || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0.element) }),
            let year = Int(text.prefix(4)), let month = Int(text.suffix(2))
        else { return nil }
        self.init(year: year, month: month)
    }

    /// The month of a spreadsheet date serial (days since 1899-12-30).
    public init?(serial: Double) {
        guard serial >= 36_526, serial < 402_133 else { return nil }  // 2000-01-01 ..< 3000-01-01
        let date = Date(timeIntervalSince1970: (serial - 25_569) * 86_400)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month], from: date)
        self.init(year: parts.year!, month: parts.month!)
    }

    /// The month `date` falls in, in `timeZone`.
    public init(containing date: Date, in timeZone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let parts = calendar.dateComponents([.year, .month], from: date)
        self.year = parts.year!
        self.month = parts.month!
    }

    /// `YYYY-MM`.
    public var description: String { String(format: "%04d-%02d", year, month) }

    /// The first day, `YYYY-MM-01`, as PostgreSQL's `date` reads it.
    public var firstDay: String { description + "-01" }

    /// The month before.
    public var previous: AssignmentMonth {
        month == 1 ? AssignmentMonth(year: year - 1, month: 12) ?? self : AssignmentMonth(year: year, month: month - 1)!
    }

    public static func < (lhs: AssignmentMonth, rhs: AssignmentMonth) -> Bool { (lhs.year, lhs.month) < (rhs.year, rhs.month) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let month = AssignmentMonth(exactly: text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(text) is not a month (YYYY-MM)"))
        }
        self = month
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
