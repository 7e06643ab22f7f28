import Assignments
import Foundation
import Spreadsheet

/// What an import of a cost-price file did, or in a dry run would do.
public struct CostPriceImportReport: Codable, Sendable, Equatable {
    public var format: SpreadsheetFile.Format
    /// Data rows read (the header not counted; blank rows skipped).
    public var rows: Int
    /// Every problem, by row; an import with any applies nothing.
    public var problems: [ImportProblem]
    /// nmIds that get a cost price for the first time.
    public var added: Int
    /// nmIds whose cost price changes.
    public var changed: Int
    /// nmIds listed with the price they already have.
    public var unchanged: Int
    /// With `replace`: the account's cost prices the file does not list, which go.
    public var removed: Int
    /// Whether the prices were written (false for a dry run and whenever there are problems).
    public var applied: Bool
}

/// Imports a cost-price file (.xlsx or .csv, as the assignments' importer reads them): one row per article, an nmId
/// column (the assignments' names: `nmId`, `Артикул WB`, …) and a cost column (`cost price`, `cost`, `себестоимость`,
/// `закупочная цена`, …; rubles per unit, a number or text such as `1 234,50 ₽`). Every row is checked before
/// anything is written; then all of it applies in one transaction (``KPIStore/setCostPrices(account:_:remove:replace:by:)``).
public struct CostPriceImport: Sendable {
    public let store: KPIStore
    /// Largest file accepted.
    public let maxBytes: Int
    /// Limits against hostile workbooks.
    public let limits: SpreadsheetLimits

    public init(store: KPIStore, maxBytes: Int = 16 << 20, limits: SpreadsheetLimits = SpreadsheetLimits()) {
        self.store = store
        self.maxBytes = maxBytes
        self.limits = limits
    }

    /// Header names of the cost column (compared as ``ImportColumns/normalize(_:)`` leaves them, without `,()₽`).
    static let costNames: Set<String> = [
        "costprice", "cost", "unitcost", "purchaseprice", "costperunit", "себестоимость", "себестоимостьруб", "себестоимостьзаединицу",
        "закупочнаяцена", "ценазакупки", "закупка", "себес",
    ]

    static func headerKey(_ text: String) -> String {
        ImportColumns.normalize(text).filter { !",()₽:".contains($0) }
    }

    /// Reads `data`, checks every row, and — unless `dryRun` or any row has a problem — writes the prices for
    /// `account` (`replace`: the file becomes the whole table).
    /// - Throws: ``KPIError`` `invalid` for a file that cannot be read or lacks the columns (saying which);
    ///   `notFound` for an unknown account.
    public func run(
        _ data: Data,
        account: Int64,
        sheet: String? = nil,
        replace: Bool,
        dryRun: Bool,
        by actor: String
    ) async throws -> CostPriceImportReport {
        guard data.count <= maxBytes else {
            throw KPIError(.invalid, "the file is \(data.count) bytes, more than the \(maxBytes) allowed; split it")
        }
        let current = Dictionary(try await store.costPrices(account: account).map { ($0.nmId, $0.cost) }, uniquingKeysWith: { a, _ in a })
        let format: SpreadsheetFile.Format
        var columns: (nm: Int, cost: Int)?
        var rows = 0
        var problems: [ImportProblem] = []
        /// Each article's price and the row that gave it first.
        var firstRow: [Int64: (row: Int, cost: Double)] = [:]
        do {
            format = try SpreadsheetFile.format(of: data)
            try SpreadsheetFile.readRows(data, sheet: sheet, limits: limits) { row in
                guard !row.isBlank else { return }
                guard let found = columns else {
                    columns = try Self.columns(row)
                    return
                }
                rows += 1
                let nmLetter = ColumnName.letters(found.nm)
                let costLetter = ColumnName.letters(found.cost)
                guard let nmCell = row[found.nm], !ImportCells.trimmed(nmCell.text).isEmpty else {
                    problems.append(
                        ImportProblem(row: row.number, column: nmLetter, kind: .emptyCell, message: "no nmId in \(nmLetter)\(row.number)")
                    )
                    return
                }
                guard let nm = ImportCells.nmId(nmCell) else {
                    problems.append(
                        ImportProblem(
                            row: row.number,
                            column: nmLetter,
                            kind: .badNmId,
                            message: "\"\(nmCell.text.prefix(40))\" in \(nmLetter)\(row.number) is not an nmId (WB's article number)"
                        )
                    )
                    return
                }
                guard let costCell = row[found.cost], !ImportCells.trimmed(costCell.text).isEmpty else {
                    problems.append(
                        ImportProblem(
                            row: row.number,
                            column: costLetter,
                            kind: .emptyCell,
                            message: "no cost price for nmId \(nm) in \(costLetter)\(row.number)",
                            nmId: nm
                        )
                    )
                    return
                }
                guard let cost = Self.cost(costCell) else {
                    problems.append(
                        ImportProblem(
                            row: row.number,
                            column: costLetter,
                            kind: .badCostPrice,
                            message:
                                "\"\(costCell.text.prefix(40))\" in \(costLetter)\(row.number) is not a cost price: write rubles per unit, 0 or more (1234.50 or 1 234,50)",
                            nmId: nm
                        )
                    )
                    return
                }
                if let earlier = firstRow[nm] {
                    // The same price twice is harmless; two prices for one article are not.
                    if abs(earlier.cost - cost) >= 0.00005 {
                        problems.append(
                            ImportProblem(
                                row: row.number,
                                kind: .duplicateRow,
                                message: "nmId \(nm) has cost \(Self.text(cost)) here and \(Self.text(earlier.cost)) in row \(earlier.row); keep one",
                                nmId: nm,
                                otherRow: earlier.row
                            )
                        )
                    }
                    return
                }
                firstRow[nm] = (row.number, cost)
            }
        } catch let error as SpreadsheetError {
            throw KPIError(.invalid, "the file cannot be read: \(error)")
        }
        guard columns != nil else { throw KPIError(.invalid, "the file has no header row (an nmId column and a cost price column)") }
        var report = CostPriceImportReport(
            format: format,
            rows: rows,
            problems: problems,
            added: 0,
            changed: 0,
            unchanged: 0,
            removed: 0,
            applied: false
        )
        // In the file's order.
        let prices = firstRow.map { (row: $0.value.row, nm: $0.key, cost: $0.value.cost) }.sorted { $0.row < $1.row }
        for price in prices {
            if let old = current[price.nm] {
                if abs(old - Self.rounded(price.cost)) < 0.00005 { report.unchanged += 1 } else { report.changed += 1 }
            } else {
                report.added += 1
            }
        }
        if replace { report.removed = current.keys.filter { firstRow[$0] == nil }.count }
        guard !dryRun, problems.isEmpty else { return report }
        try await store.setCostPrices(
            account: account,
            prices.map { KPICostPrice(nmId: $0.nm, cost: Self.rounded($0.cost)) },
            replace: replace,
            by: actor
        )
        report.applied = true
        return report
    }

    /// The nmId and cost columns of a header row.
    static func columns(_ header: SheetRow) throws -> (nm: Int, cost: Int) {
        var nm: [Int] = []
        var cost: [Int] = []
        for (index, cell) in header.cells.enumerated() {
            guard let cell else { continue }
            if ImportColumns.isArticleHeader(cell.text) { nm.append(index) }
            if costNames.contains(headerKey(cell.text)) { cost.append(index) }
        }
        let seen = header.cells.compactMap { $0?.text }.map { "\"\($0)\"" }.joined(separator: ", ")
        guard nm.count == 1, cost.count == 1 else {
            var missing: [String] = []
            if nm.isEmpty { missing.append("an nmId column (nmId, Артикул WB)") }
            if cost.isEmpty { missing.append("a cost price column (cost price, себестоимость)") }
            if nm.count > 1 { missing.append("one nmId column, not \(nm.count) (\(nm.map(ColumnName.letters).joined(separator: ", ")))") }
            if cost.count > 1 { missing.append("one cost price column, not \(cost.count) (\(cost.map(ColumnName.letters).joined(separator: ", ")))") }
            throw KPIError(.invalid, "the header row (row \(header.number): \(seen)) needs \(missing.joined(separator: " and "))")
        }
        return (nm[0], cost[0])
    }

    /// A cost in rubles per unit, 0 or more: a number cell, or text with spaces as thousands separators, a decimal
    /// comma or point, and an optional `₽`/`руб`.
    static func cost(_ cell: SheetCell) -> Double? {
        let value: Double?
        switch cell {
        case .number(let number, _): value = number
        case .text(let text):
            var cleaned = ImportCells.trimmed(text).lowercased()
            for unit in ["₽", "руб.", "руб", "rub", "р."] where cleaned.hasSuffix(unit) { cleaned = String(cleaned.dropLast(unit.count)) }
            cleaned = cleaned.filter { !$0.isWhitespace && $0 != "\u{00A0}" && $0 != "\u{202F}" && $0 != "'" }
            let normalized = cleaned.replacingOccurrences(of: ",", with: ".")
            let valid =
                !normalized.isEmpty && normalized.filter { $0 == "." }.count <= 1
                && normalized.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
                && normalized.first != "." && normalized.last != "."
            value = valid ? Double(normalized) : nil
        case .date, .boolean: value = nil
        }
        guard let value, value.isFinite, value >= 0, value < 1e10 else { return nil }
        return value
    }

    /// `cost` as the table keeps it (4 decimals).
    static func rounded(_ cost: Double) -> Double { (cost * 10_000).rounded() / 10_000 }

    static func text(_ cost: Double) -> String { String(format: "%.2f", cost) }
}
