import FleetStore
import Foundation
import PostgresNIO
import Spreadsheet

/// Assignments as .xlsx: a month's export (one row per article, the columns an import reads, so exporting and
/// importing the file again changes nothing) and the empty template.
public enum AssignmentExport {
    /// The language of header names and of the instructions sheet.
    public enum Language: String, Sendable, CaseIterable {
        case en
        case ru
    }

    static func header(_ language: Language) -> [CellValue] {
        switch language {
        case .en: ["login", "account inn", "month", "nmId", "name"].map(CellValue.text)
        case .ru: ["логин", "инн", "месяц", "артикул", "имя"].map(CellValue.text)
        }
    }

    static let widths: [Double] = [22, 16, 10, 14, 30]

    /// The month's assignments of `account` as a workbook.
    public static func month(_ store: AssignmentStore, account: Int64, month: AssignmentMonth, language: Language = .en) async throws -> Data {
        let table = try await store.table(account: account, month: month)
        let inn: String
        do {
            let rows = try await store.client.query("SELECT inn FROM seller_accounts WHERE id = \(account)", logger: store.logger)
            inn = try await rows.decode(String.self).first { _ in true } ?? String(account)
        } catch {
            throw StoreError.statement(error)
        }
        var rows: [[CellValue]] = [header(language)]
        for user in table.users {
            for nm in user.nmIds {
                rows.append([.text(user.login), .text(inn), .text(month.description), .integer(nm), .text(user.name)])
            }
        }
        var writer = XLSXWriter()
        writer.addSheet(name: month.description, rows: rows, columnWidths: widths)
        return try writer.data()
    }

    /// An empty file with the header row, and a second sheet explaining the columns.
    public static func template(language: Language = .en) throws -> Data {
        var writer = XLSXWriter()
        writer.addSheet(name: language == .ru ? "Назначения" : "Assignments", rows: [header(language)], columnWidths: widths)
        let help: [[CellValue]]
        switch language {
        case .en:
            help = [
                [.text("column"), .text("what to write")],
                [.text("login"), .text("the manager's login or e-mail")],
                [.text("account inn"), .text("the seller account's INN (or its id)")],
                [.text("month"), .text("the month, 2026-12 (a date in that month also works)")],
                [.text("nmId"), .text("one WB article per row; or a column nmIds with a comma-separated list")],
                [.text("name"), .text("ignored: for your reference")],
                [.text("rule"), .text("each manager named for an account and month gets exactly the file's articles there; others keep theirs")],
            ]
        case .ru:
            help = [
                [.text("колонка"), .text("что писать")],
                [.text("логин"), .text("логин или e-mail менеджера")],
                [.text("инн"), .text("ИНН кабинета продавца (или его id)")],
                [.text("месяц"), .text("месяц, 2026-12 (подойдёт и дата в этом месяце)")],
                [.text("артикул"), .text("один артикул WB в строке; или колонка «артикулы» со списком через запятую")],
                [.text("имя"), .text("не читается: для справки")],
                [
                    .text("правило"),
                    .text("каждый названный менеджер получает в кабинете и месяце ровно артикулы из файла; у остальных ничего не меняется"),
                ],
            ]
        }
        writer.addSheet(name: language == .ru ? "Инструкция" : "Instructions", rows: help, columnWidths: [16, 100])
        return try writer.data()
    }
}
