import ArgumentParser

/// `joycity bench …`: benchmarks that print figures with a baseline measured in the same run.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks (build with -c release). Each prints its baseline and our ratio to it.",
        subcommands: [BenchQueue.self, BenchIngest.self, BenchAssignments.self, BenchProxy.self, BenchKPI.self]
    )
}

struct BenchQueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue",
        abstract: "Enqueue and drain no-op jobs with worker processes; compare with raw XADD + XREADGROUP + XACK over the same client."
    )

    @Option(help: "No-op jobs to enqueue and drain.") var jobs = 200_000
    @Option(help: "Worker processes.") var workers = 2
    @Option(help: "Concurrency per worker process.") var concurrency = 50
    @Option(help: "Jobs per second of the start-latency probe.") var latencyRate = 1000
    @Option(help: "Seconds of the start-latency probe.") var latencySeconds = 5
    @Option(help: "Rounds of raw cycle + ours; the median round (by drain ratio) is reported.") var rounds = 3
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard jobs >= 1000 else { throw ValidationError("--jobs must be at least 1000") }
        guard (1...32).contains(workers) else { throw ValidationError("--workers must be 1 to 32") }
        guard (1...10_000).contains(concurrency) else { throw ValidationError("--concurrency must be 1 to 10000") }
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be 1 to 15") }
        guard (1...20_000).contains(latencyRate), (1...120).contains(latencySeconds) else {
            throw ValidationError("--latency-rate must be 1 to 20000 and --latency-seconds 1 to 120")
        }
    }

    func run() async throws {
        do {
            let benchmark = try QueueBenchmark(
                jobs: jobs,
                workers: workers,
                concurrency: concurrency,
                latencyRate: latencyRate,
                latencySeconds: latencySeconds,
                rounds: rounds
            )
            let report = try await benchmark.run()
            if json { try printJSON(report) } else { report.printText() }
        } catch {
            Runtime.fail(error)
        }
    }
}

struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Sync report-detail rows from the fake WB into PostgreSQL; compare with a COPY of the same rows."
    )

    @Option(help: "Report rows to generate and ingest (about).") var rows = 200_000
    @Option(help: "Rounds of sync + COPY; the median round is reported.") var rounds = 3
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1000...5_000_000).contains(rows) else { throw ValidationError("--rows must be 1000 to 5000000") }
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be 1 to 15") }
    }

    func run() async throws {
        do {
            let report = try await IngestBenchmark(rows: rows, rounds: rounds, logger: Runtime.cliLogger("joycity.bench")).run()
            if json { try printJSON(report) } else { report.printText() }
        } catch {
            Runtime.fail(error)
        }
    }
}

struct BenchAssignments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "assignments",
        abstract: "Import an .xlsx of assignments written by openpyxl (dry run, apply, again); compare with openpyxl's read_only load of it."
    )

    @Option(help: "Rows (one article each) in the file.") var rows = 50_000
    @Option(help: "Managers the rows are spread over.") var managers = 100
    @Option(help: "Rounds of the baseline and the dry run; the median is reported.") var rounds = 3
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1000...1_000_000).contains(rows) else { throw ValidationError("--rows must be 1000 to 1000000") }
        guard (1...10_000).contains(managers) else { throw ValidationError("--managers must be 1 to 10000") }
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be 1 to 15") }
    }

    func run() async throws {
        do {
            let report = try await AssignmentBenchmark(rows: rows, managers: managers, rounds: rounds, logger: Runtime.cliLogger("joycity.bench"))
                .run()
            if json { try printJSON(report) } else { report.printText() }
        } catch {
            Runtime.fail(error)
        }
    }
}

struct BenchProxy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "proxy",
        abstract:
            "wrk through the proxy edge and through nginx proxy_pass to the same fake portal (a static asset, a JSON page); the filter's time on a 1 MB page against pass-through."
    )

    @Option(help: "Seconds per wrk run.") var seconds = 5
    @Option(help: "wrk connections.") var connections = 32
    @Option(help: "Rounds of nginx + proxy per load; the best ratio is reported (machines are noisy).") var rounds = 2
    @Flag(help: "Only the filter's own time (no servers, no wrk): for profiling it.") var filterOnly = false
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1...120).contains(seconds) else { throw ValidationError("--seconds must be 1 to 120") }
        guard (1...1000).contains(connections) else { throw ValidationError("--connections must be 1 to 1000") }
        guard (1...10).contains(rounds) else { throw ValidationError("--rounds must be 1 to 10") }
    }

    func run() async throws {
        do {
            let report = try await ProxyBenchmark(
                seconds: seconds,
                connections: connections,
                rounds: rounds,
                filterOnly: filterOnly,
                logger: Runtime.cliLogger("joycity.bench")
            )
            .run()
            if json { try printJSON(report) } else { report.printText() }
        } catch {
            Runtime.fail(error)
        }
    }
}

struct BenchKPI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kpi",
        abstract: "Recompute one account's month of KPIs; compare with a hand-written GROUP BY scan of the same rows in PostgreSQL."
    )

    @Option(help: "Report rows in the month.") var reportRows = 1_000_000
    @Option(help: "Orders in the month.") var orders = 300_000
    @Option(help: "Managers holding the articles.") var managers = 50
    @Option(help: "Distinct articles (nine in ten assigned).") var articles = 10_000
    @Option(help: "Rounds of the baseline and the recompute; the median is reported.") var rounds = 3
    @Flag(help: "Print JSON.") var json = false

    func validate() throws {
        guard (1000...20_000_000).contains(reportRows), (1000...20_000_000).contains(orders) else {
            throw ValidationError("--report-rows and --orders must be 1000 to 20000000")
        }
        guard (1...10_000).contains(managers) else { throw ValidationError("--managers must be 1 to 10000") }
        guard (managers * 2...1_000_000).contains(articles) else { throw ValidationError("--articles must be twice --managers to 1000000") }
        guard (1...15).contains(rounds) else { throw ValidationError("--rounds must be 1 to 15") }
    }

    func run() async throws {
        do {
            let report = try await KPIBenchmark(
                reportRows: reportRows,
                orders: orders,
                managers: managers,
                articles: articles,
                rounds: rounds,
                logger: Runtime.cliLogger("joycity.bench")
            ).run()
            if json { try printJSON(report) } else { report.printText() }
        } catch {
            Runtime.fail(error)
        }
    }
}
