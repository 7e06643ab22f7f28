import FleetCore
import Foundation
import Spreadsheet

/// How assignments are validated, imported and announced.
///
/// - Configuration keys (environment):
///   - `ASSIGNMENT_LOOKBACK` (default `90d`): an nmId is accepted when the account's synced orders, sales or report
///     rows name it within this long (older articles need `force` with a comment).
///   - `ASSIGNMENT_TIMEZONE` (default `Europe/Moscow`, WB's time): which month "now" is.
///   - `ASSIGNMENT_IMPORT_MAX_ROWS` (default `100000`): rows an imported sheet may have.
///   - `ASSIGNMENT_IMPORT_MAX_BYTES` (default `20971520`, 20 MiB): the largest upload; larger bodies get 413.
///   - `ASSIGNMENT_IMPORT_MAX_INFLATED_BYTES` (default `104857600`, 100 MiB): what an .xlsx may inflate to in total
///     (zip bombs stop there).
///   - `ASSIGNMENT_INVALIDATE_DEBOUNCE` (default `2s`): edits of one account and month within this long coalesce
///     into one `cache.invalidate` run after the last.
public struct AssignmentConfiguration: Sendable {
    public var lookback: Duration
    public var timeZone: TimeZone
    public var maxImportRows: Int
    public var maxImportBytes: Int
    public var maxInflatedBytes: Int
    public var invalidateDebounce: Duration

    /// Creates a configuration (the documented defaults).
    public init(
        lookback: Duration = .seconds(90 * 86_400),
        timeZone: TimeZone = TimeZone(identifier: "Europe/Moscow")!,
        maxImportRows: Int = 100_000,
        maxImportBytes: Int = 20 << 20,
        maxInflatedBytes: Int = 100 << 20,
        invalidateDebounce: Duration = .seconds(2)
    ) {
        self.lookback = lookback
        self.timeZone = timeZone
        self.maxImportRows = maxImportRows
        self.maxImportBytes = maxImportBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.invalidateDebounce = invalidateDebounce
    }

    /// Reads the keys above.
    /// - Throws: ``ConfigurationError`` naming the key that is wrong.
    public init(environment: EnvironmentReader) throws {
        self.init()
        lookback = try environment.duration("ASSIGNMENT_LOOKBACK", default: lookback)
        let zone = environment.string("ASSIGNMENT_TIMEZONE", default: "Europe/Moscow")
        guard let timeZone = TimeZone(identifier: zone) else {
            throw ConfigurationError(variable: "ASSIGNMENT_TIMEZONE", value: zone, expected: "a time zone name such as Europe/Moscow")
        }
        self.timeZone = timeZone
        maxImportRows = try environment.int("ASSIGNMENT_IMPORT_MAX_ROWS", default: maxImportRows, range: 1...10_000_000)
        maxImportBytes = try environment.int("ASSIGNMENT_IMPORT_MAX_BYTES", default: maxImportBytes, range: 1024...(1 << 30))
        maxInflatedBytes = try environment.int("ASSIGNMENT_IMPORT_MAX_INFLATED_BYTES", default: maxInflatedBytes, range: 1024...(4 << 30))
        invalidateDebounce = try environment.duration("ASSIGNMENT_INVALIDATE_DEBOUNCE", default: invalidateDebounce)
    }

    /// The month it is now.
    public func currentMonth(now: Date = Date()) -> AssignmentMonth { AssignmentMonth(containing: now, in: timeZone) }

    /// The limits an import reads its file with.
    public var spreadsheetLimits: SpreadsheetLimits { SpreadsheetLimits(maxInflatedBytes: maxInflatedBytes, maxRows: maxImportRows) }
}
