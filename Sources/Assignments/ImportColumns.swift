import Foundation
import Spreadsheet

/// The columns an assignments file has, found by their header names (any order, English or Russian, case, spaces,
/// dashes and underscores ignored).
///
/// | column | header names accepted |
/// |---|---|
/// | user | `login`, `email`, `user`, `manager`, `логин`, `почта`, `пользователь`, `менеджер` |
/// | account | `account`, `inn`, `account inn`, `account id`, `seller`, `аккаунт`, `инн`, `кабинет`, `продавец` |
/// | month | `month`, `period`, `месяц`, `период` |
/// | one article | `nmId`, `nm`, `article`, `wb article`, `артикул`, `артикул wb`, `артикул вб`, `номенклатура` |
/// | several | `nmIds`, `articles`, `артикулы` (a comma-, semicolon- or space-separated list) |
public struct ImportColumns: Sendable, Equatable {
    public var user: Int
    public var account: Int
    public var month: Int
    public var nmId: Int?
    public var nmIds: Int?

    static let synonyms: [(field: String, names: [String])] = [
        ("user", ["login", "email", "mail", "user", "username", "manager", "логин", "почта", "email адрес", "пользователь", "менеджер"]),
        (
            "account",
            ["account", "inn", "accountinn", "accountid", "seller", "selleraccount", "аккаунт", "инн", "кабинет", "продавец", "иннаккаунта"]
        ),
        ("month", ["month", "period", "месяц", "период"]),
        ("nmId", ["nmid", "nm", "article", "wbarticle", "артикул", "артикулwb", "артикулвб", "номенклатура", "кодноменклатуры"]),
        ("nmIds", ["nmids", "articles", "артикулы", "артикулыwb", "артикулывб"]),
    ]

    /// Whether a header cell names a column of article ids (`nmId`, `Артикул WB`, `nmIds`, …): what an import reads,
    /// and what the proxy edge looks for in WB's own Excel exports.
    public static func isArticleHeader(_ text: String) -> Bool {
        let name = normalize(text)
        return synonyms.contains { ($0.field == "nmId" || $0.field == "nmIds") && $0.names.map(normalize).contains(name) }
    }

    /// A header cell reduced to what is compared: lower case, without spaces, dashes, underscores and dots.
    public static func normalize(_ text: String) -> String {
        text.lowercased().filter { !$0.isWhitespace && $0 != "_" && $0 != "-" && $0 != "." && $0 != "\u{00A0}" }
            .replacingOccurrences(of: "ё", with: "е")
    }

    /// Finds the columns in a header row.
    /// - Throws: ``AssignmentError`` `importRejected` naming what is missing or doubled, and what was found.
    public init(header: SheetRow) throws {
        var found: [String: Int] = [:]
        var problems: [ImportProblem] = []
        for (index, cell) in header.cells.enumerated() {
            guard let cell else { continue }
            let name = Self.normalize(cell.text)
            guard let field = Self.synonyms.first(where: { $0.names.map(Self.normalize).contains(name) })?.field else { continue }
            if let earlier = found[field] {
                problems.append(
                    ImportProblem(
                        row: header.number,
                        column: ColumnName.letters(index),
                        kind: .duplicateColumn,
                        message: "columns \(ColumnName.letters(earlier)) and \(ColumnName.letters(index)) are both the \(field) column; keep one"
                    )
                )
            }
            found[field] = index
        }
        for field in ["user", "account", "month"] where found[field] == nil {
            problems.append(ImportProblem(row: header.number, kind: .missingColumn, message: Self.missing(field)))
        }
        if found["nmId"] == nil && found["nmIds"] == nil {
            problems.append(ImportProblem(row: header.number, kind: .missingColumn, message: Self.missing("nmId")))
        }
        guard problems.isEmpty else {
            let seen = header.cells.compactMap { $0?.text }.map { "\"\($0)\"" }.joined(separator: ", ")
            throw AssignmentError(.importRejected, "the header row (row \(header.number): \(seen)) lacks required columns", problems: problems)
        }
        user = found["user"]!
        account = found["account"]!
        month = found["month"]!
        nmId = found["nmId"]
        nmIds = found["nmIds"]
    }

    private static func missing(_ field: String) -> String {
        let names = synonyms.first { $0.field == field }!.names.prefix(4).joined(separator: ", ")
        switch field {
        case "nmId": return "no article column: name one nmId (or артикул), or nmIds with a list"
        default: return "no \(field) column: name it one of \(names)"
        }
    }
}

/// One problem of an imported file, with where it is.
public struct ImportProblem: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable {
        case missingColumn, duplicateColumn, emptyCell, unknownUser, userInOtherAccount, userDisabled, unknownAccount, badMonth, badNmId,
            notInSyncedData, duplicateRow, claimedByTwoRows, claimedByOtherUser, notPermitted,
            /// A cost price that is not a number of rubles of 0 or more (cost-price imports).
            badCostPrice
    }
    /// The row number a spreadsheet program shows.
    public var row: Int
    /// The column letter, when one cell is at fault.
    public var column: String?
    public var kind: Kind
    /// What is wrong, in English (a UI shows its own text for ``kind`` with the fields below).
    public var message: String
    /// The nmId at fault, when one is.
    public var nmId: Int64?
    /// The other row of a duplicate or a double claim.
    public var otherRow: Int?
    /// Who holds the article already (`claimedByOtherUser`).
    public var holder: String?

    public init(row: Int, column: String? = nil, kind: Kind, message: String, nmId: Int64? = nil, otherRow: Int? = nil, holder: String? = nil) {
        self.row = row
        self.column = column
        self.kind = kind
        self.message = message
        self.nmId = nmId
        self.otherRow = otherRow
        self.holder = holder
    }
}
