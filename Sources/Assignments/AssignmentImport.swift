import FleetStore
import Foundation
import PostgresNIO
import Spreadsheet

/// What an import of an assignments file did, or in a dry run would do.
public struct ImportReport: Codable, Sendable, Equatable {
    public var format: SpreadsheetFile.Format
    /// Data rows read (the header not counted; blank rows skipped).
    public var rows: Int
    /// Of ``rows``, the ones hidden in the sheet (they count like any other row).
    public var hiddenRows: Int
    /// Every problem; an import with any applies nothing.
    public var problems: [ImportProblem]
    /// Per user, account and month: added, removed, unchanged.
    public var changes: [ChangeResult]
    public var added: Int
    public var removed: Int
    public var unchanged: Int
    /// Whether the changes were written (false for a dry run and whenever there are problems).
    public var applied: Bool
}

/// Imports an assignments file (.xlsx or .csv, columns per ``ImportColumns``, one row per article or an nmIds list):
/// each user named in the file for an account and month gets exactly the file's articles there; users the file does
/// not name keep theirs.
public struct AssignmentImport: Sendable {
    public let store: AssignmentStore

    /// Who may be a target: returns a reason when the importing user may not change `user`'s articles.
    public typealias Permission = @Sendable (_ user: ImportUser) -> String?

    /// A user the file names, as the permission check sees them.
    public struct ImportUser: Sendable {
        public var id: Int64
        public var login: String
        public var roles: [String]
        public var accountId: Int64?
    }

    public init(store: AssignmentStore) { self.store = store }

    /// Reads `data`, checks every row, and — unless `dryRun` or any row has a problem — applies all of it in one
    /// transaction (``AssignmentStore/commit(_:context:dryRun:)``, which checks again under the month locks).
    /// - Parameters:
    ///   - sheet: the workbook's sheet to read (`nil`: the first).
    ///   - progress: called with the rows read so far (every 5,000 rows, and at the end).
    /// - Throws: ``AssignmentError`` `importRejected` for an unreadable file (with the reason); conflicts found at
    ///   apply time as ``AssignmentError``; ``StoreError``.
    public func run(
        _ data: Data,
        sheet: String? = nil,
        context: ChangeContext,
        dryRun: Bool,
        permission: Permission = { _ in nil },
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportReport {
        guard data.count <= store.configuration.maxImportBytes else {
            throw AssignmentError(
                .importRejected,
                "the file is \(data.count) bytes, more than the \(store.configuration.maxImportBytes) allowed (ASSIGNMENT_IMPORT_MAX_BYTES)"
            )
        }
        // Before reading the file: a forced import without a comment would be refused after all the work.
        try context.requireCommentIfForced()
        let format: SpreadsheetFile.Format
        var parsed: [ParsedRow] = []
        var problems: [ImportProblem] = []
        var hidden = 0
        var dataRows = 0
        do {
            format = try SpreadsheetFile.format(of: data)
            var columns: ImportColumns?
            try SpreadsheetFile.readRows(data, sheet: sheet, limits: store.configuration.spreadsheetLimits) { row in
                guard let found = columns else {
                    if !row.isBlank { columns = try ImportColumns(header: row) }
                    return
                }
                guard !row.isBlank else { return }
                if row.hidden { hidden += 1 }
                dataRows += 1
                parse(row, columns: found, into: &parsed, problems: &problems)
                if dataRows % 5_000 == 0 { progress?(dataRows) }
            }
            guard columns != nil else { throw AssignmentError(.importRejected, "the sheet is empty: it needs a header row and one row per article") }
        } catch let error as SpreadsheetError {
            throw AssignmentError(.importRejected, error.description)
        }
        progress?(dataRows)
        let plan = try await self.plan(parsed, permission: permission, problems: &problems, force: context.force)
        problems.sort { ($0.row, $0.column ?? "") < ($1.row, $1.column ?? "") }
        // A dry run (or a file with problems) shows what the rows without problems would do, so the file can be
        // fixed knowing the rest is right; an apply commits, checking everything again under the month locks.
        var changes = plan.preview
        var applied = false
        if problems.isEmpty, !dryRun, !plan.changes.isEmpty {
            changes = try await store.commit(plan.changes, context: context)
            applied = true
        }
        return ImportReport(
            format: format,
            rows: dataRows,
            hiddenRows: hidden,
            problems: problems,
            changes: changes,
            added: changes.reduce(0) { $0 + $1.added.count },
            removed: changes.reduce(0) { $0 + $1.removed.count },
            unchanged: changes.reduce(0) { $0 + $1.unchanged },
            applied: applied
        )
    }

    struct ParsedRow {
        var row: Int
        var user: String
        var account: String
        var month: AssignmentMonth
        /// One article (a list cell makes one parsed row per article).
        var nmId: Int64
    }

    private func parse(_ row: SheetRow, columns: ImportColumns, into parsed: inout [ParsedRow], problems: inout [ImportProblem]) {
        func required(_ index: Int, _ what: String) -> SheetCell? {
            guard let cell = row[index], !ImportCells.trimmed(cell.text).isEmpty else {
                problems.append(
                    ImportProblem(row: row.number, column: ColumnName.letters(index), kind: .emptyCell, message: "the \(what) cell is empty")
                )
                return nil
            }
            return cell
        }
        let user = required(columns.user, "user (login or email)")
        let account = required(columns.account, "account (INN or id)")
        let monthCell = required(columns.month, "month")
        var month: AssignmentMonth?
        if let monthCell {
            month = ImportCells.month(monthCell)
            if month == nil {
                problems.append(
                    ImportProblem(
                        row: row.number,
                        column: ColumnName.letters(columns.month),
                        kind: .badMonth,
                        message: "\"\(monthCell.text)\" is not a month; write it as 2026-12 (or a date in that month)"
                    )
                )
            }
        }
        var nmIds: [Int64] = []
        let single = columns.nmId.flatMap { row[$0] }.flatMap { ImportCells.trimmed($0.text).isEmpty ? nil : $0 }
        let list = columns.nmIds.flatMap { row[$0] }.flatMap { ImportCells.trimmed($0.text).isEmpty ? nil : $0 }
        if let single {
            if let value = ImportCells.nmId(single) {
                nmIds.append(value)
            } else {
                problems.append(
                    ImportProblem(
                        row: row.number,
                        column: ColumnName.letters(columns.nmId!),
                        kind: .badNmId,
                        message: "\"\(single.text)\" is not an nmId (a positive whole number)"
                    )
                )
            }
        }
        if let list {
            let (values, bad) = ImportCells.nmIdList(list)
            nmIds += values
            for item in bad {
                problems.append(
                    ImportProblem(
                        row: row.number,
                        column: ColumnName.letters(columns.nmIds!),
                        kind: .badNmId,
                        message: "\"\(item)\" in the list is not an nmId"
                    )
                )
            }
        }
        if single == nil && list == nil {
            let column = columns.nmId ?? columns.nmIds!
            problems.append(ImportProblem(row: row.number, column: ColumnName.letters(column), kind: .emptyCell, message: "the nmId cell is empty"))
        }
        guard let user, let account, let month else { return }
        let userKey = ImportCells.trimmed(user.text)
        let accountKey = ImportCells.trimmed(account.text)
        for nmId in nmIds { parsed.append(ParsedRow(row: row.number, user: userKey, account: accountKey, month: month, nmId: nmId)) }
    }
}
