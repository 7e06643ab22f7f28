/// How an account scores its managers: the metrics, their weights and which way is better.
///
/// Each metric is normalized over the month's ranked managers (those holding at least one article) by min–max:
/// `(value − min) ÷ (max − min)` when higher is better, `(max − value) ÷ (max − min)` when lower is; 1 when every
/// manager has the same value; 0 for a manager without a value (no buyout base, an unknown margin). The score is
/// `100 × Σ weight × normalized ÷ Σ weight`, from 0 to 100.
public struct KPISettings: Codable, Sendable, Equatable {
    /// Which way is better.
    public enum Direction: String, Codable, Sendable {
        case higher
        case lower
    }

    /// One weighed metric.
    public struct Weight: Codable, Sendable, Equatable {
        /// A ``KPIMetric`` name.
        public var metric: String
        /// Greater than 0, at most 1000.
        public var weight: Double
        public var direction: Direction

        public init(metric: String, weight: Double, direction: Direction) {
            self.metric = metric
            self.weight = weight
            self.direction = direction
        }
    }

    public var weights: [Weight]

    public init(weights: [Weight]) {
        self.weights = weights
    }

    /// What an account scores by until someone sets its weights: revenue 40 %, orders sum 30 %, buyout rate 20 %
    /// (higher is better), penalties 10 % (lower is better).
    public static let standard = KPISettings(weights: [
        Weight(metric: "revenue", weight: 0.4, direction: .higher),
        Weight(metric: "ordersSum", weight: 0.3, direction: .higher),
        Weight(metric: "buyoutRate", weight: 0.2, direction: .higher),
        Weight(metric: "penalties", weight: 0.1, direction: .lower),
    ])

    /// Checks the settings. - Throws: ``KPIError`` `invalid`, naming the bad entry and what is allowed.
    public func validated() throws -> [(KPIMetric, Double, Direction)] {
        guard !weights.isEmpty else { throw KPIError(.invalid, "give at least one metric with a weight") }
        guard weights.count <= KPIMetric.all.count else { throw KPIError(.invalid, "at most \(KPIMetric.all.count) metrics") }
        var seen: Set<KPIMetric> = []
        return try weights.map { entry in
            guard let metric = KPIMetric(name: entry.metric) else {
                throw KPIError(.invalid, "unknown metric \"\(entry.metric)\": use one of \(KPIMetric.all.map(\.name).joined(separator: ", "))")
            }
            guard entry.weight.isFinite, entry.weight > 0, entry.weight <= 1000 else {
                throw KPIError(.invalid, "the weight of \(entry.metric) must be a number above 0 and at most 1000")
            }
            guard seen.insert(metric).inserted else { throw KPIError(.invalid, "\(entry.metric) is listed twice") }
            return (metric, entry.weight, entry.direction)
        }
    }
}
