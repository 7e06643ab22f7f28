import FleetCore
import Foundation
import Logging
import Queue

/// `joycity bench queue`: our queue against the raw Redis Streams cycle on the same hiredis client, same run.
struct QueueBenchmark {
    let jobs: Int
    let workers: Int
    let concurrency: Int
    let latencyRate: Int
    let latencySeconds: Int
    /// Rounds of raw cycle + ours, each with fresh worker processes; the report gives the median round by drain ratio.
    let rounds: Int
    let environment = EnvironmentReader()
    let prefix = "bench.\(UInt32.random(in: 0...UInt32.max))"

    init(jobs: Int, workers: Int, concurrency: Int, latencyRate: Int, latencySeconds: Int, rounds: Int) throws {
        self.jobs = jobs
        self.rounds = rounds
        self.workers = workers
        self.concurrency = concurrency
        self.latencyRate = latencyRate
        self.latencySeconds = latencySeconds
    }

    struct Round: Encodable {
        var rawEnqueuePerSecond: Double
        var rawDrainPerSecond: Double
        var enqueuePerSecond: Double
        var drainPerSecond: Double
        var drainRatio: Double { drainPerSecond / rawDrainPerSecond }
        var enqueueRatio: Double { enqueuePerSecond / rawEnqueuePerSecond }
    }

    struct Report: Encodable {
        var jobs: Int
        var workers: Int
        var concurrency: Int
        var rawEnqueuePerSecond: Double
        var rawDrainPerSecond: Double
        var enqueuePerSecond: Double
        var drainPerSecond: Double
        var enqueueRatio: Double
        var drainRatio: Double
        /// Every round's figures; those above are the median round's (by drain ratio).
        var rounds: [Round]
        var latencyRate: Int
        var latencyP50Ms: Double
        var latencyP99Ms: Double
        var latencyMaxMs: Double
        var workerPeakRSSMB: [Double]
        var redisMemoryBeforeMB: Double
        var redisMemoryAfterDrainMB: Double
        var redisMemoryAfterExpiryMB: Double
        var completedTTLSeconds: Int
        var build: String

        func printText() {
            func f(_ value: Double) -> String { String(format: "%.0f", value) }
            func r(_ value: Double) -> String { String(format: "%.2f", value) }
            print("joycity bench queue — \(jobs) no-op jobs, \(workers) worker process(es) × concurrency \(concurrency); build: \(build)")
            print("")
            for (index, round) in rounds.enumerated() {
                print(
                    "round \(index + 1): drain \(f(round.drainPerSecond)) vs raw \(f(round.rawDrainPerSecond)) (\(r(round.drainRatio))), enqueue \(f(round.enqueuePerSecond)) vs raw \(f(round.rawEnqueuePerSecond)) (\(r(round.enqueueRatio)))"
                )
            }
            print("median round (by drain ratio) of \(rounds.count):")
            print("                     ours/s      raw/s    ratio")
            print("enqueue (bulk)    \(f(enqueuePerSecond).leftPad(9))  \(f(rawEnqueuePerSecond).leftPad(9))    \(r(enqueueRatio))")
            print("drain             \(f(drainPerSecond).leftPad(9))  \(f(rawDrainPerSecond).leftPad(9))    \(r(drainRatio))")
            print("")
            print("start latency at \(latencyRate) jobs/s: p50 \(r(latencyP50Ms)) ms, p99 \(r(latencyP99Ms)) ms, max \(r(latencyMaxMs)) ms")
            print("worker peak RSS: \(workerPeakRSSMB.map { String(format: "%.1f MB", $0) }.joined(separator: ", "))")
            print(
                "Redis used_memory: before \(r(redisMemoryBeforeMB)) MB, after drain \(r(redisMemoryAfterDrainMB)) MB, after records expire (QUEUE_COMPLETED_TTL=\(completedTTLSeconds)s) \(r(redisMemoryAfterExpiryMB)) MB"
            )
            print("raw = pipelined XADD (1000 per round trip) and XREADGROUP COUNT 500 + XACK per batch, one connection, no queue logic")
        }
    }

    func run() async throws -> Report {
        var logger = Logger(label: "joycity.bench")
        logger.logLevel = .error
        let redis = try Runtime.redis(environment: environment, logger: logger, name: "joycity-bench")
        do {
            let report = try await measure(redis)
            await redis.shutdown()
            return report
        } catch {
            await redis.shutdown()
            throw error
        }
    }

    func measure(_ redis: RedisClient) async throws -> Report {
        let queueConfiguration = StreamQueue.Configuration(prefix: prefix, completedTTL: .seconds(5))
        let queue = StreamQueue(redis: redis, configuration: queueConfiguration)
        let memoryBefore = try await usedMemoryMB(redis)

        // Rounds: the raw cycle, then ours (bulk enqueue, then a drain by fresh worker processes), under the same
        // conditions; this machine is shared and noisy. The last round's workers stay for the latency probe.
        var measured: [Round] = []
        var processes: [Process] = []
        defer { for process in processes where process.isRunning { process.terminate() } }
        let requests = try (0..<jobs).map { _ in try JobRequest(ProbeJobs.noop, ProbeJobs.Empty(), queue: "bench") }
        for round in 0..<rounds {
            for process in processes {
                process.terminate()
                process.waitUntilExit()
            }
            let (rawEnqueue, rawDrain) = try await rawBaseline(redis)

            // Ours: bulk enqueue.
            var start = ContinuousClock.now
            for chunk in stride(from: 0, to: requests.count, by: 10_000) {
                _ = try await queue.enqueue(Array(requests[chunk..<min(requests.count, chunk + 10_000)]))
            }
            let enqueueRate = Double(jobs) / (ContinuousClock.now - start).seconds

            // Ours: drain with worker processes.
            processes = try (0..<workers).map { index in try spawnWorker(index) }
            let target = jobs * (round + 1)
            var firstSeen: (ContinuousClock.Instant, Int)?
            start = ContinuousClock.now
            while true {
                let processed = try await queue.stats("bench").counters["processed"] ?? 0
                if firstSeen == nil && processed > target - jobs { firstSeen = (.now, processed) }
                if processed >= target { break }
                if ContinuousClock.now - start > .seconds(600) {
                    throw QueueError(.redis, "the workers did not drain \(jobs) jobs within 10 minutes")
                }
                try await Task.sleep(for: .milliseconds(5))
            }
            let (t0, done0) = firstSeen ?? (start, target - jobs)
            let drainRate = Double(target - done0) / (ContinuousClock.now - t0).seconds
            measured.append(
                Round(rawEnqueuePerSecond: rawEnqueue, rawDrainPerSecond: rawDrain, enqueuePerSecond: enqueueRate, drainPerSecond: drainRate)
            )
        }
        let median = measured.sorted { $0.drainRatio < $1.drainRatio }[measured.count / 2]

        // Start latency at a fixed rate, workers idle-blocking between jobs.
        let list = "\(prefix):latency"
        let total = latencyRate * latencySeconds
        let interval = Duration.nanoseconds(1_000_000_000 / Int64(latencyRate))
        var next = ContinuousClock.now
        for _ in 0..<total {
            next += interval
            if next > .now { try await Task.sleep(until: next) }
            _ = try await queue.enqueue(JobRequest(ProbeJobs.latency, ProbeJobs.Latency(sentUs: ProbeJobs.nowUs(), list: list), queue: "bench"))
        }
        var latencies: [Double] = []
        let waitStart = ContinuousClock.now
        while latencies.count < total && ContinuousClock.now - waitStart < .seconds(60) {
            latencies = (try await redis.send(RedisCommand("LRANGE", list, "0", "-1")).array ?? []).compactMap { $0.int.map { Double($0) / 1000 } }
            if latencies.count < total { try await Task.sleep(for: .milliseconds(50)) }
        }
        latencies.sort()
        func percentile(_ p: Double) -> Double { latencies.isEmpty ? .nan : latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))] }

        let rss = processes.map { peakRSSMB(pid: $0.processIdentifier) }
        try await queue.maintain()
        let memoryAfterDrain = try await usedMemoryMB(redis)
        for process in processes { process.terminate() }
        for process in processes { process.waitUntilExit() }
        try await Task.sleep(for: .seconds(6))
        try await queue.maintain()
        let memoryAfterExpiry = try await usedMemoryMB(redis)
        try await redis.deleteKeys(matching: "\(prefix):*")

        #if DEBUG
        let build = "debug (figures are not representative: build with -c release --static-swift-stdlib)"
        #else
        // The image links the Swift runtime and Foundation statically; a dynamic build maps their whole shared
        // libraries and measures ≈ 4 MB more worker RSS.
        let maps = (try? String(contentsOfFile: "/proc/self/maps", encoding: .utf8)) ?? ""
        let build =
            maps.contains("libswiftCore.so")
            ? "release, Swift runtime linked dynamically (the image links it statically)" : "release, static Swift runtime"
        #endif
        return Report(
            jobs: jobs,
            workers: workers,
            concurrency: concurrency,
            rawEnqueuePerSecond: median.rawEnqueuePerSecond,
            rawDrainPerSecond: median.rawDrainPerSecond,
            enqueuePerSecond: median.enqueuePerSecond,
            drainPerSecond: median.drainPerSecond,
            enqueueRatio: median.enqueueRatio,
            drainRatio: median.drainRatio,
            rounds: measured,
            latencyRate: latencyRate,
            latencyP50Ms: percentile(0.5),
            latencyP99Ms: percentile(0.99),
            latencyMaxMs: latencies.last ?? .nan,
            workerPeakRSSMB: rss,
            redisMemoryBeforeMB: memoryBefore,
            redisMemoryAfterDrainMB: memoryAfterDrain,
            redisMemoryAfterExpiryMB: memoryAfterExpiry,
            completedTTLSeconds: 5,
            build: build
        )
    }

    /// Pipelined XADD of entries shaped like ours, then XREADGROUP COUNT 500 + XACK per batch, on one connection.
    func rawBaseline(_ redis: RedisClient) async throws -> (enqueue: Double, drain: Double) {
        let stream = "\(prefix):raw"
        try await redis.send(RedisCommand("XGROUP", "CREATE", stream, "g", "0", "MKSTREAM"))
        let sample = JobEnvelope(id: JobID.make(), type: ProbeJobs.noop.name, payload: "{}", maxAttempts: 5, enqueuedAtMs: SystemClock.nowMs()).fields
        var start = ContinuousClock.now
        for chunk in stride(from: 0, to: jobs, by: 1000) {
            let count = min(1000, jobs - chunk)
            _ = try await redis.pipeline((0..<count).map { _ in RedisCommand(arguments: ["XADD", stream, "*"] + sample) })
        }
        let enqueueRate = Double(jobs) / (ContinuousClock.now - start).seconds
        start = ContinuousClock.now
        var drained = 0
        while drained < jobs {
            let drainedSoFar = drained
            drained += try await redis.withConnection { connection -> Int in
                let reply = try connection.execute(RedisCommand("XREADGROUP", "GROUP", "g", "raw", "COUNT", "500", "STREAMS", stream, ">"))
                let entries = reply.array?.first?.array?.last?.array ?? []
                var ids: [String] = []
                ids.reserveCapacity(entries.count)
                for entry in entries {
                    guard let parts = entry.array, parts.count == 2, let id = parts[0].string else { continue }
                    _ = parts[1].pairs
                    ids.append(id)
                }
                if ids.isEmpty { throw QueueError(.redis, "raw baseline ran dry after \(drainedSoFar) entries") }
                try connection.execute(RedisCommand(arguments: ["XACK", stream, "g"] + ids)).throwingError()
                return ids.count
            }
        }
        let drainRate = Double(jobs) / (ContinuousClock.now - start).seconds
        try await redis.send(RedisCommand("DEL", stream))
        return (enqueueRate, drainRate)
    }

    func spawnWorker(_ index: Int) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: selfExecutable())
        process.arguments = ["worker", "--queues", "bench", "--concurrency", String(concurrency), "--metrics-port", "0"]
        var environment = ProcessInfo.processInfo.environment
        environment["QUEUE_PREFIX"] = prefix
        environment["QUEUE_COMPLETED_TTL"] = "5s"
        environment["WORKER_NAME"] = "bench-\(index)-\(UInt16.random(in: 0...UInt16.max))"
        environment["LOG_LEVEL"] = "warning"
        process.environment = environment
        try process.run()
        return process
    }

    func selfExecutable() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    func peakRSSMB(pid: Int32) -> Double { ProcessMemory.peakRSSMB(pid: pid) }

    func usedMemoryMB(_ redis: RedisClient) async throws -> Double {
        let info = try await redis.send(RedisCommand("INFO", "memory")).string ?? ""
        for line in info.split(whereSeparator: \.isNewline) where line.hasPrefix("used_memory:") {
            return (Double(line.dropFirst("used_memory:".count)) ?? .nan) / 1_048_576
        }
        return .nan
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
