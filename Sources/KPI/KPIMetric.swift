/// What a score can weigh: any ``KPIFigure`` or one of the derived measures.
public enum KPIMetric: Hashable, Sendable, CustomStringConvertible {
    /// A summed figure.
    case figure(KPIFigure)
    /// Buyouts ÷ (buyouts + returns + cancellations), in percent; none when the month has none of them.
    case buyoutRate
    /// Revenue less logistics, storage, penalties, deductions, acceptance and the cost of goods; none unless every
    /// article the manager sold in the month has a cost price.
    case margin

    /// Every metric, figures first.
    public static let all: [KPIMetric] = KPIFigure.allCases.map(KPIMetric.figure) + [.buyoutRate, .margin]

    /// The metric's name (`revenue`, `buyoutRate`, `margin`, …).
    public var name: String {
        switch self {
        case .figure(let figure): figure.name
        case .buyoutRate: "buyoutRate"
        case .margin: "margin"
        }
    }

    public var description: String { name }

    /// The metric named `name`, if any.
    public init?(name: String) {
        guard let metric = Self.all.first(where: { $0.name == name }) else { return nil }
        self = metric
    }

    /// The metric's value in `figures` (nil when it has none).
    public func value(in figures: KPIFigures, marginKnown: Bool) -> Double? {
        switch self {
        case .figure(let figure):
            return figures.value(figure)
        case .buyoutRate:
            let base = figures[.buyouts] + figures[.returns] + figures[.cancellations]
            return base == 0 ? nil : Double(figures[.buyouts]) * 100 / Double(base)
        case .margin:
            guard marginKnown else { return nil }
            return Double(Self.marginUnits(figures)) / Double(KPIFigures.scale)
        }
    }

    /// The margin in units (see ``margin``).
    static func marginUnits(_ figures: KPIFigures) -> Int64 {
        figures[.revenue] - figures[.logistics] - figures[.storage] - figures[.penalties] - figures[.deductions]
            - figures[.acceptance] - figures[.costOfGoods]
    }
}
