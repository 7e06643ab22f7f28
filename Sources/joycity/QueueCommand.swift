import ArgumentParser
import FleetCore
import Foundation
import Logging
import Queue
import Workers

/// `joycity queue …`: inspect and manage queues from a shell.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Inspect and manage queues, jobs, dead letters and workers.",
        subcommands: [
            QueueList.self, QueueWorkers.self, QueueJob.self, QueueDead.self, QueueRetry.self, QueueDelete.self, QueuePause.self,
            QueueResume.self, QueueEnqueue.self, QueueCancel.self, QueuePurge.self, QueueSchedules.self,
        ]
    )
}

/// Options every `queue` subcommand shares.
struct QueueOptions: ParsableArguments {
    @Flag(help: "Print JSON instead of a table.")
    var json = false
}

/// Runs `body` with a queue engine from the environment, turning failures into a message and a non-zero exit.
func withQueueEngine(_ body: (StreamQueue) async throws -> Void) async {
    let environment = EnvironmentReader()
    do {
        var logger = Logger(label: "joycity.queue")
        logger.logLevel = .error
        try await Runtime.withRedis(environment: environment, logger: logger, name: "joycity-cli") { redis in
            try await body(StreamQueue(redis: redis, configuration: try .init(environment: environment)))
        }
    } catch let error as ExitCode {
        exit(error.rawValue)
    } catch {
        Runtime.fail(error)
    }
}

func printJSON<T: Encodable>(_ value: T) throws {
    print(String(decoding: try JSONCoding.prettyEncoder.encode(value), as: UTF8.self))
}

struct QueueList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Queues with waiting, pending, delayed, dead, lag and rates.")
    @OptionGroup var options: QueueOptions
    @Option(help: "Seconds to sample counters over for the rates (0: no rates).")
    var sample: Double = 1

    func run() async throws {
        await withQueueEngine { queue in
            let rows = try await queue.overview(sample: .milliseconds(Int64(max(0, sample) * 1000)))
            if options.json { return try printJSON(rows) }
            var table = [["QUEUE", "WAITING", "PENDING", "DELAYED", "DEAD", "LAG", "PROCESSED", "FAILED", "DONE/S", "FAIL/S", "STATE"]]
            for row in rows {
                let s = row.stats
                table.append([
                    s.name, "\(s.waiting)", "\(s.pending)", "\(s.delayed)", "\(s.dead)", Format.duration(ms: s.lagMs),
                    "\(s.counters["processed"] ?? 0)",
                    "\(s.counters["failed"] ?? 0)", row.processedPerSecond.map { Format.rate($0) } ?? "-",
                    row.failedPerSecond.map { Format.rate($0) } ?? "-",
                    s.paused ? "paused" : "active",
                ])
            }
            if rows.isEmpty {
                print("no queues yet (nothing was ever enqueued under QUEUE_PREFIX=\(queue.configuration.prefix))")
            } else {
                Format.printTable(table)
            }
        }
    }
}

struct QueueWorkers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "workers", abstract: "Live workers with their last heartbeat.")
    @OptionGroup var options: QueueOptions

    func run() async throws {
        await withQueueEngine { queue in
            let workers = try await queue.workers()
            if options.json { return try printJSON(workers) }
            if workers.isEmpty { return print("no live workers") }
            let now = SystemClock.nowMs()
            var table = [["WORKER", "HOST", "PID", "QUEUES", "RUNNING", "CONCURRENCY", "PROCESSED", "FAILED", "UP", "HEARTBEAT"]]
            for w in workers {
                table.append([
                    w.name, w.host, "\(w.pid)", w.queues.joined(separator: ","), "\(w.running)", "\(w.concurrency)", "\(w.processed)", "\(w.failed)",
                    Format.duration(ms: now - w.startedMs), Format.duration(ms: now - w.heartbeatMs) + " ago",
                ])
            }
            Format.printTable(table)
        }
    }
}

struct QueueJob: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "One job: state, payload, attempts, deliveries, errors, progress.")
    @OptionGroup var options: QueueOptions
    @Argument(help: "The job id.") var id: String

    func run() async throws {
        await withQueueEngine { queue in
            guard let info = try await queue.job(id) else {
                throw QueueError(.notFound, "no job \(id) is known (never enqueued, or its record expired)")
            }
            if options.json { return try printJSON(info) }
            let fields: [(String, String?)] = [
                ("id", info.id), ("queue", info.queue), ("state", info.state), ("type", info.type),
                ("attempt", info.attempt.map { attempt in info.maxAttempts.map { "\(attempt) of \($0)" } ?? "\(attempt)" }),
                ("deliveries", info.deliveries.map(String.init)), ("worker", info.worker), ("enqueued", info.enqueuedMs.map(Format.timestamp)),
                ("runs at", info.runAtMs.map(Format.timestamp)), ("finished", info.finishedMs.map(Format.timestamp)), ("payload", info.payload),
                ("progress", info.progress), ("result", info.result), ("errors", info.errors), ("entry", info.entryId),
            ]
            for (name, value) in fields { if let value { print("\(name.padding(toLength: 11, withPad: " ", startingAt: 0)) \(value)") } }
        }
    }
}

struct QueueDead: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dead", abstract: "Dead letters, newest first.")
    @OptionGroup var options: QueueOptions
    @Argument(help: "Queue (default: every queue).") var queue: String?
    @Option(help: "At most this many per queue (1 to 10000).") var limit = 50
    @Option(help: "Only letters whose type, job id or payload contains this text (searched in Redis, every letter).") var search: String?

    func validate() throws {
        guard (1...10_000).contains(limit) else { throw ValidationError("--limit must be from 1 to 10000, not \(limit)") }
        if let search, !search.contains(where: { !$0.isWhitespace }) || search.utf8.count > 200 {
            throw ValidationError("--search takes 1 to 200 bytes of text")
        }
    }

    func run() async throws {
        await withQueueEngine { engine in
            var names = try await engine.queueNames()
            if let queue {
                try await engine.requireKnown(queue)
                names = [queue]
            }
            var letters: [DeadLetter] = []
            for name in names {
                if let search {
                    let found = try await engine.searchDeadLetters(name, text: search, count: limit)
                    letters += found.letters
                    if !found.complete {
                        FileHandle.standardError.write(Data("\(name): searched the newest \(found.scanned) letters only\n".utf8))
                    }
                } else {
                    letters += try await engine.deadLetters(name, count: limit)
                }
            }
            if options.json { return try printJSON(letters) }
            if letters.isEmpty { return print("no dead letters") }
            var table = [["JOB", "QUEUE", "TYPE", "FAILED", "LAST ERROR"]]
            for letter in letters {
                let errors = (try? JSONSerialization.jsonObject(with: Data(letter.errors.utf8))) as? [[String: Any]]
                let last = (errors?.last?["error"] as? String) ?? ""
                table.append([letter.jobId, letter.queue, letter.type, Format.timestamp(letter.failedMs), String(last.prefix(100))])
            }
            Format.printTable(table)
        }
    }
}

struct QueueRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "retry", abstract: "Put a dead letter (or all of a queue's) back in its queue.")
    @Argument(help: "The job id of a dead letter.") var id: String?
    @Flag(help: "Retry every dead letter (of --queue, or of every queue).") var all = false
    @Option(help: "With --all: only this queue.") var queue: String?

    func validate() throws {
        guard (id == nil) == all else { throw ValidationError("give either a job id or --all") }
    }

    func run() async throws {
        await withQueueEngine { engine in
            if let id {
                let entry = try await engine.retryDead(id)
                print("job \(id) is queued again (entry \(entry))")
            } else {
                var total = 0
                var names = try await engine.queueNames()
                if let queue { names = [queue] }
                for name in names { total += try await engine.retryAllDead(name) }
                print("\(total) dead letter(s) queued again")
            }
        }
    }
}

struct QueueDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a dead letter and its record.")
    @Argument(help: "The job id of a dead letter.") var id: String

    func run() async throws {
        await withQueueEngine { engine in
            try await engine.deleteDead(id)
            print("dead letter of job \(id) deleted")
        }
    }
}

struct QueuePause: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pause",
        abstract: "Stop workers starting jobs of a queue (running jobs finish); returns once every live worker confirmed."
    )
    @Argument(help: "The queue.") var queue: String
    @Flag(help: "Pause a queue nothing was enqueued to yet (otherwise an unknown name is refused).") var force = false
    @Option(help: "How long to wait for the workers' confirmations: 500ms, 5s.") var wait = "5s"

    func validate() throws {
        guard DurationParser.parse(wait, defaultUnit: .seconds) != nil else {
            throw ValidationError("--wait \(wait) is not a duration such as 500ms or 5s")
        }
    }

    func run() async throws {
        let within = DurationParser.parse(wait, defaultUnit: .seconds) ?? .seconds(5)
        await withQueueEngine { engine in
            let result = try await engine.pause(queue, force: force, confirmWithin: within)
            if result.unconfirmed.isEmpty {
                print("queue \(queue) paused; no job of it starts from now on (\(result.confirmed.count) live worker(s) confirmed)")
            } else {
                print("queue \(queue) paused")
                FileHandle.standardError.write(
                    Data(
                        "warning: worker(s) \(result.unconfirmed.joined(separator: ", ")) did not confirm within \(wait); they stop starting its jobs within 250 ms of their next fetch\n"
                            .utf8
                    )
                )
            }
        }
    }
}

struct QueueResume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "resume", abstract: "Let workers take jobs from a paused queue again.")
    @Argument(help: "The queue.") var queue: String
    func run() async throws {
        await withQueueEngine { engine in
            try await engine.resume(queue)
            print("queue \(queue) resumed")
        }
    }
}

struct QueueCancel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a waiting job, or ask the worker running it to stop.")
    @Argument(help: "The job id.") var id: String
    func run() async throws {
        await withQueueEngine { engine in
            switch try await engine.cancel(id) {
            case .cancelled: print("job \(id) cancelled")
            case .requested: print("cancellation of job \(id) requested; the worker that takes or runs it stops it")
            }
        }
    }
}

struct QueueEnqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "enqueue", abstract: "Enqueue a job from the shell.")
    @OptionGroup var options: QueueOptions
    @Argument(help: "The job type, e.g. queue.diagnostic.") var type: String
    @Option(help: "The payload, JSON.") var payload = "{}"
    @Option(help: "The queue (default: QUEUE_DEFAULT).") var queue: String?
    @Option(help: "Unique key: while a job with it is queued or running, return that job's id.") var unique: String?
    @Option(parsing: .unconditional, help: "Run after this long: 500ms, 30s, 5m, 2h.") var delay: String?
    @Option(help: "Attempts before dead-lettering.") var maxAttempts: Int?
    @Option(help: "Job id (default: a new ULID).") var id: String?
    @Flag(help: "Enqueue a job type this build's workers do not know (a worker of another build may).") var force = false

    /// The job types this build's workers run.
    static var knownTypes: [String] { FleetJobs.registry(wbSync: nil).names + FleetJobs.optionalTypes }

    func validate() throws {
        if let delay {
            if delay.hasPrefix("-") { throw ValidationError("--delay must not be negative (\(delay)); give how long to wait, such as 30s") }
            guard DurationParser.parse(delay, defaultUnit: .seconds) != nil else {
                throw ValidationError("--delay \(delay) is not a duration such as 500ms, 30s, 5m or 2h")
            }
        }
        if !force && !Self.knownTypes.contains(type) {
            throw ValidationError(
                "no worker of this build runs job type \"\(type)\" (known: \(Self.knownTypes.sorted().joined(separator: ", "))); pass --force to enqueue it anyway"
            )
        }
    }

    func run() async throws {
        let delayMs = delay.flatMap { DurationParser.parse($0, defaultUnit: .seconds) }?.milliseconds
        let request = JobRequest(
            type: type,
            payload: payload,
            queue: queue,
            id: id,
            options: .init(delayMs: delayMs, uniqueKey: unique, maxAttempts: maxAttempts)
        )
        await withQueueEngine { engine in
            let result = try await engine.enqueue(request)
            if options.json {
                struct Out: Encodable {
                    let id, queue, status: String
                    let entryId: String?
                }
                return try printJSON(Out(id: result.id, queue: result.queue, status: result.status.rawValue, entryId: result.entryId))
            }
            switch result.status {
            case .queued: print("\(result.id) queued on \(result.queue)")
            case .delayed: print("\(result.id) delayed on \(result.queue)")
            case .duplicate: print("\(result.id) already queued or running with unique key \(unique ?? "")")
            case .debounced: print("\(result.id) debounced")
            }
        }
    }
}

struct QueuePurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "purge", abstract: "Drop every waiting and delayed job of a queue.")
    @Argument(help: "The queue.") var queue: String
    @Flag(help: "Do not ask for confirmation.") var yes = false

    func run() async throws {
        if !yes {
            FileHandle.standardError.write(Data("This drops every waiting and delayed job of queue \(queue). Type the queue name to confirm: ".utf8))
            guard let answer = readLine(), answer.trimmingCharacters(in: .whitespaces) == queue else {
                FileHandle.standardError.write(Data("\nnot confirmed; nothing was purged (pass --yes to skip the question)\n".utf8))
                throw ExitCode(1)
            }
        }
        await withQueueEngine { engine in
            try await engine.requireKnown(queue)
            let (waiting, delayed) = try await engine.purge(queue)
            print("purged \(waiting) waiting and \(delayed) delayed job(s) from \(queue)")
        }
    }
}
