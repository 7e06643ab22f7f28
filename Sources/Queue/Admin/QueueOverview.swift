import FleetCore

/// A queue's stats with its throughput, measured by sampling the counters twice (`joycity queue list`, the API's
/// `GET /api/queues`).
public struct QueueOverview: Sendable, Codable, Equatable {
    public var stats: QueueStats
    /// Jobs finished per second over the sample (nil without a sample).
    public var processedPerSecond: Double?
    /// Failed attempts per second over the sample (nil without a sample).
    public var failedPerSecond: Double?

    public init(stats: QueueStats, processedPerSecond: Double? = nil, failedPerSecond: Double? = nil) {
        self.stats = stats
        self.processedPerSecond = processedPerSecond
        self.failedPerSecond = failedPerSecond
    }
}

extension StreamQueue {
    /// Every queue's stats; with a `sample` above zero, read twice that far apart to give rates.
    public func overview(sample: Duration) async throws -> [QueueOverview] {
        let names = try await queueNames()
        var first: [QueueStats] = []
        for name in names { first.append(try await stats(name)) }
        guard sample > .zero, !names.isEmpty else { return first.map { QueueOverview(stats: $0) } }
        try await Task.sleep(for: sample)
        let seconds = Double(sample.milliseconds) / 1000
        var result: [QueueOverview] = []
        for (index, name) in names.enumerated() {
            let again = try await stats(name)
            func rate(_ counter: String) -> Double {
                Double((again.counters[counter] ?? 0) - (first[index].counters[counter] ?? 0)) / seconds
            }
            result.append(QueueOverview(stats: again, processedPerSecond: rate("processed"), failedPerSecond: rate("failed")))
        }
        return result
    }
}
