import Foundation

/// Where the sync of one dataset of one account stands.
public struct SyncCursor: Sendable, Equatable {
    /// orders/sales: the `lastChangeDate` of the newest row stored, exactly as WB sent it (MSK, no offset).
    public var changeCursor: String?
    /// report: the window being read (MSK dates) while a run is in progress.
    public var windowFrom: String?
    public var windowTo: String?
    /// report: the `rrd_id` of the last row stored in the window being read (0 before the first page).
    public var rrdID: Int64
    /// report: the run reading the window (rows it stored carry its id), nil when no window is open.
    public var runID: Int64?
    /// report: the last day of the last window read to its end.
    public var completedTo: String?
}

/// What storing one orders or sales page did.
public struct ChangePageResult: Sendable, Equatable {
    /// Rows in the page.
    public var rows: Int
    /// Rows inserted or replaced by a newer version.
    public var written: Int
    /// Whether the page moved the cursor forward (a page that does not is the last).
    public var advanced: Bool
    /// The cursor after the page.
    public var cursor: String?
}

/// What storing one report page did.
public struct ReportPageResult: Sendable, Equatable {
    public var rows: Int
    /// The largest `rrd_id` in the page (the next page's `rrdid`), nil for an empty page.
    public var lastRrdID: Int64?
}
