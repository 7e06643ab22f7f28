import FleetCore
import Foundation

extension QueueWorker {
    /// How a worker process consumes.
    public struct Configuration: Sendable {
        /// How queues with different priorities share the worker.
        public enum Priority: Sendable, Equatable {
            /// Always drain earlier queues first.
            case strict
            /// Pick the first queue at random in proportion to its weight on every fetch, so low queues are never starved.
            case weighted([Int])
        }
        /// Queue names, highest priority first.
        public var queues: [String]
        /// How the queues share the worker.
        public var priority: Priority
        /// Jobs run at once in this process.
        public var concurrency: Int
        /// This process's consumer name (unique in the fleet).
        public var consumerName: String
        /// Most entries taken per fetch.
        public var batchSize: Int
        /// `XREADGROUP BLOCK` time when the queues are empty; bounds how long a stop request waits for the fetch loop.
        public var blockTimeout: Duration
        /// A job whose worker sent no heartbeat for this long is reclaimed by another worker.
        public var lease: Duration
        /// How often leases are renewed (default lease / 3).
        public var heartbeatInterval: Duration
        /// How often idle entries of dead workers are looked for.
        public var reclaimInterval: Duration
        /// How often the queue maintenance (trim, unpark) runs.
        public var maintenanceInterval: Duration
        /// How long a graceful shutdown waits for running jobs before handing them back.
        public var shutdownTimeout: Duration
        /// Deliveries of one attempt before the job is dead-lettered as a suspected worker killer.
        public var maxDeliveries: Int
        /// How long a starting worker keeps trying to reach Redis before it gives up (and the process exits non-zero).
        public var startupTimeout: Duration

        /// Creates settings; the defaults are the documented ones.
        public init(
            queues: [String] = ["default"],
            priority: Priority = .strict,
            concurrency: Int = 10,
            consumerName: String = Configuration.defaultConsumerName(),
            batchSize: Int = 100,
            blockTimeout: Duration = .seconds(1),
            lease: Duration = .seconds(10),
            heartbeatInterval: Duration? = nil,
            reclaimInterval: Duration = .seconds(2),
            maintenanceInterval: Duration = .seconds(5),
            shutdownTimeout: Duration = .seconds(25),
            maxDeliveries: Int = 10,
            startupTimeout: Duration = .seconds(30)
        ) {
            self.queues = queues
            self.priority = priority
            self.concurrency = concurrency
            self.consumerName = consumerName
            self.batchSize = batchSize
            self.blockTimeout = blockTimeout
            self.lease = lease
            self.heartbeatInterval = heartbeatInterval ?? lease / 3
            self.reclaimInterval = reclaimInterval
            self.maintenanceInterval = maintenanceInterval
            self.shutdownTimeout = shutdownTimeout
            self.maxDeliveries = maxDeliveries
            self.startupTimeout = startupTimeout
        }

        /// Reads settings from the environment.
        ///
        /// - `WORKER_QUEUES` (default `default`): queues, highest priority first: `critical,default,low` (strict) or
        ///   `critical:6,default:3,low:1` (weighted)
        /// - `WORKER_CONCURRENCY` (default `10`, 1–10000): jobs at once per process
        /// - `WORKER_NAME` (default `<host>-<pid>-<random>`): consumer name; must be unique in the fleet
        /// - `WORKER_BATCH_SIZE` (default `100`): most entries per fetch
        /// - `QUEUE_BLOCK_TIMEOUT` (default `1s`): blocking read time on empty queues
        /// - `QUEUE_LEASE` (default `10s`): silence after which a worker's jobs are reclaimed
        /// - `QUEUE_RECLAIM_INTERVAL` (default `2s`): how often dead workers' jobs are looked for
        /// - `QUEUE_MAINTENANCE_INTERVAL` (default `5s`): stream trimming and unparking
        /// - `WORKER_SHUTDOWN_TIMEOUT` (default `25s`): wait for running jobs on SIGTERM before handing them back
        /// - `QUEUE_MAX_DELIVERIES` (default `10`): deliveries of one attempt before dead-lettering
        /// - `WORKER_STARTUP_TIMEOUT` (default `30s`): how long a starting worker waits for Redis before exiting non-zero
        /// - Throws: `ConfigurationError` naming the variable.
        public init(environment: EnvironmentReader) throws {
            let spec = environment.string("WORKER_QUEUES", default: "default")
            let (queues, priority) = try Configuration.parseQueues(spec, variable: "WORKER_QUEUES")
            let lease = try environment.duration("QUEUE_LEASE", default: .seconds(10))
            guard lease >= .milliseconds(300) else {
                throw ConfigurationError(variable: "QUEUE_LEASE", value: environment.string("QUEUE_LEASE", default: ""), expected: "at least 300ms")
            }
            self.init(
                queues: queues,
                priority: priority,
                concurrency: try environment.int("WORKER_CONCURRENCY", default: 10, range: 1...10_000),
                consumerName: environment.string("WORKER_NAME", default: Configuration.defaultConsumerName()),
                batchSize: try environment.int("WORKER_BATCH_SIZE", default: 100, range: 1...10_000),
                blockTimeout: try environment.duration("QUEUE_BLOCK_TIMEOUT", default: .seconds(1)),
                lease: lease,
                reclaimInterval: try environment.duration("QUEUE_RECLAIM_INTERVAL", default: .seconds(2)),
                maintenanceInterval: try environment.duration("QUEUE_MAINTENANCE_INTERVAL", default: .seconds(5)),
                shutdownTimeout: try environment.duration("WORKER_SHUTDOWN_TIMEOUT", default: .seconds(25)),
                maxDeliveries: try environment.int("QUEUE_MAX_DELIVERIES", default: 10, range: 1...1000),
                startupTimeout: try environment.duration("WORKER_STARTUP_TIMEOUT", default: .seconds(30))
            )
        }

        /// Parses `a,b,c` (strict) or `a:3,b:1` (weighted).
        public static func parseQueues(_ spec: String, variable: String) throws -> ([String], Priority) {
            var names: [String] = []
            var weights: [Int] = []
            var weighted = false
            for part in spec.split(separator: ",") {
                let pieces = part.split(separator: ":", maxSplits: 1).map { String($0).trimmingCharacters(in: .whitespaces) }
                guard let name = pieces.first, StreamQueue.isValidName(name), !names.contains(name) else {
                    throw ConfigurationError(
                        variable: variable,
                        value: spec,
                        expected: "distinct queue names (A-Z a-z 0-9 . _ -), comma-separated, each optionally :weight"
                    )
                }
                var weight = 1
                if pieces.count == 2 {
                    guard let value = Int(pieces[1]), value >= 1, value <= 1000 else {
                        throw ConfigurationError(variable: variable, value: spec, expected: "weights from 1 to 1000, as in critical:6,default:3")
                    }
                    weight = value
                    weighted = true
                }
                names.append(name)
                weights.append(weight)
            }
            guard !names.isEmpty else { throw ConfigurationError(variable: variable, value: spec, expected: "at least one queue name") }
            return (names, weighted ? .weighted(weights) : .strict)
        }

        /// `<host>-<pid>-<4 random hex>`.
        public static func defaultConsumerName() -> String {
            let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
            let safeHost = String(host.unicodeScalars.filter { CharacterSet.alphanumerics.contains($0) || $0 == "-" }.prefix(40))
            return
                "\(safeHost.isEmpty ? "host" : safeHost)-\(ProcessInfo.processInfo.processIdentifier)-\(String(UInt16.random(in: 0...UInt16.max), radix: 16))"
        }

        /// Queue order for one fetch: as configured (strict), or the first drawn by weight and the rest after it.
        func fetchOrder() -> [String] {
            guard case .weighted(let weights) = priority, queues.count > 1 else { return queues }
            let total = weights.reduce(0, +)
            var pick = Int.random(in: 0..<total)
            var first = 0
            for (index, weight) in weights.enumerated() {
                if pick < weight {
                    first = index
                    break
                }
                pick -= weight
            }
            return [queues[first]] + queues.enumerated().filter { $0.offset != first }.map(\.element)
        }
    }
}
