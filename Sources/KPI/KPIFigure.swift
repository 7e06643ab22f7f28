/// One figure the KPI computation sums per article from the synced WB rows of a month.
///
/// Every figure is kept as a whole number of ten-thousandths (``KPIFigures/scale``): money in 0.0001 ₽, counts in
/// 0.0001 of a unit (a shared article's count is split between its holders). Sums of such numbers are exact, so a
/// month's managers plus its unassigned remainder add up to the account's totals to the last unit.
public enum KPIFigure: Int, CaseIterable, Sendable, Codable, CustomStringConvertible {
    /// Orders placed in the month (`wb_orders` by order `date`, MSK): one row, one unit.
    case ordersCount
    /// Their sum at `priceWithDisc` (₽).
    case ordersSum
    /// Those of them cancelled (`isCancel`).
    case cancellations
    /// Sales (`saleID` `S…`) dated in the month.
    case buyouts
    /// Returns (`saleID` `R…`) dated in the month.
    case returns
    /// To the seller: the report's `ppvz_for_pay` (finance-api `forPay`), sales less returns, by `rr_dt` (₽).
    case revenue
    /// WB's commission: `retail_price_withdisc_rub` less `ppvz_for_pay`, sales less returns (₽).
    case commission
    /// Logistics: `delivery_rub` (₽).
    case logistics
    /// Storage: `storage_fee` (finance-api `paidStorage`) (₽).
    case storage
    /// Penalties: `penalty` (₽).
    case penalties
    /// Deductions: `deduction` (₽).
    case deductions
    /// Paid acceptance: `acceptance` (finance-api `paidAcceptance`) (₽).
    case acceptance
    /// Units sold less units returned in the report (`quantity`), the base of the cost of goods.
    case soldUnits
    /// The cost of goods: sold units × the article's cost price (₽; zero where no cost price is known).
    case costOfGoods

    /// The figure's name in the API, the CLI and the settings (`ordersSum`, …).
    public var name: String {
        switch self {
        case .ordersCount: "orders"
        case .ordersSum: "ordersSum"
        case .cancellations: "cancellations"
        case .buyouts: "buyouts"
        case .returns: "returns"
        case .revenue: "revenue"
        case .commission: "commission"
        case .logistics: "logistics"
        case .storage: "storage"
        case .penalties: "penalties"
        case .deductions: "deductions"
        case .acceptance: "acceptance"
        case .soldUnits: "soldUnits"
        case .costOfGoods: "costOfGoods"
        }
    }

    public var description: String { name }

    /// The figures the database sums from the rows (all but the cost of goods, which needs the cost prices).
    public static let summed: [KPIFigure] = allCases.filter { $0 != .costOfGoods }

    /// The figure named `name`, if any.
    public init?(name: String) {
        guard let figure = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = figure
    }
}

/// The figures of one article, one manager or one account, in units of 1/``scale``.
public struct KPIFigures: Sendable, Equatable, Codable {
    /// Units per ruble (or per counted unit).
    public static let scale: Int64 = 10_000

    /// One value per ``KPIFigure``, in its order.
    public var units: [Int64]

    /// All zero.
    public static var zero: KPIFigures { KPIFigures(units: Array(repeating: 0, count: KPIFigure.allCases.count)) }

    /// Figures from units in ``KPIFigure`` order (missing trailing ones are zero).
    public init(units: [Int64]) {
        var padded = Array(units.prefix(KPIFigure.allCases.count))
        padded += Array(repeating: 0, count: KPIFigure.allCases.count - padded.count)
        self.units = padded
    }

    public subscript(figure: KPIFigure) -> Int64 {
        get { units[figure.rawValue] }
        set { units[figure.rawValue] = newValue }
    }

    /// The figure as a number (rubles or units), for display and scores.
    public func value(_ figure: KPIFigure) -> Double { Double(self[figure]) / Double(Self.scale) }

    /// Adds `other` figure by figure.
    public static func += (lhs: inout KPIFigures, rhs: KPIFigures) {
        for index in lhs.units.indices { lhs.units[index] += rhs.units[index] }
    }

    /// Whether every figure is zero.
    public var isZero: Bool { units.allSatisfy { $0 == 0 } }

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    /// Reads `{"orders": 3, "revenue": 1234.5678, …}` (rubles and units; absent figures are zero).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        self = .zero
        for figure in KPIFigure.allCases {
            if let value = try container.decodeIfPresent(Double.self, forKey: Key(stringValue: figure.name)) {
                self[figure] = Int64((value * Double(Self.scale)).rounded())
            }
        }
    }

    /// Writes every figure by name, in rubles and units (up to four decimals).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        for figure in KPIFigure.allCases { try container.encode(value(figure), forKey: Key(stringValue: figure.name)) }
    }
}
