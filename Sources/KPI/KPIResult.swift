import Assignments
import Foundation

/// A person the month lists: a manager of the account, or anyone else holding an article that month.
public struct KPIPerson: Codable, Sendable, Equatable {
    public var userId: Int64
    public var login: String
    public var name: String

    public init(userId: Int64, login: String, name: String) {
        self.userId = userId
        self.login = login
        self.name = name
    }
}

/// A monthly target of one manager and how far it is reached.
public struct KPITargetResult: Codable, Sendable, Equatable {
    public var metric: String
    public var target: Double
    /// The manager's value (nil when the metric has none, such as an unknown margin).
    public var value: Double?
    /// `value ÷ target × 100` (for a lower-is-better metric, under 100 is good).
    public var attainment: Double?

    public init(metric: String, target: Double, value: Double?, attainment: Double?) {
        self.metric = metric
        self.target = target
        self.value = value
        self.attainment = attainment
    }
}

/// One row of a month: a manager, or (``userId`` 0) the unassigned remainder.
public struct KPIRow: Codable, Sendable, Equatable {
    /// 0 for the unassigned remainder.
    public var userId: Int64
    public var login: String
    public var name: String
    /// nmIds held in the month (for the remainder: articles with data and no holder).
    public var articles: Int
    /// From the person's own articles (a shared article's figures split equally between its holders).
    public var direct: KPIFigures
    /// Their part of the rows without an article (nm_id 0), by share of positive revenue.
    public var allocated: KPIFigures
    /// `direct + allocated`.
    public var total: KPIFigures
    /// This row's share of the month's positive revenue, 0–1 (the allocation key).
    public var revenueShare: Double
    /// Articles sold in the month that have no cost price (the margin is unknown while any is listed).
    public var costsMissing: [Int64]
    /// Buyout rate and margin (nil when unknown).
    public var buyoutRate: Double?
    public var margin: Double?
    /// 0–100; nil for the remainder and for a manager holding no article this month.
    public var score: Double?
    /// 1 is best; nil where the score is.
    public var rank: Int?
    /// Each weighed metric normalized 0–1, as the score used it.
    public var normalized: [String: Double]
    public var targets: [KPITargetResult]
}

/// One article's part in one row.
public struct KPIArticleShare: Codable, Sendable, Equatable {
    public var nmId: Int64
    /// How many people hold it this month (its figures are split between them).
    public var holders: Int
    /// This row's part of the article's figures.
    public var figures: KPIFigures
    /// The article's cost price (₽), when one is known.
    public var costPrice: Double?
}

/// A computed month of one account.
public struct KPIMonthResult: Sendable, Equatable {
    public var month: AssignmentMonth
    /// Everyone listed, best rank first, then the unranked by login.
    public var rows: [KPIRow]
    /// What no manager holds, and the allocation's remainder.
    public var unassigned: KPIRow
    /// The account's month: the sum of every article's figures (nm_id 0 included).
    public var totals: KPIFigures
    /// Each row's articles (key: user id; 0 the remainder).
    public var articles: [Int64: [KPIArticleShare]]
}
