import FleetStore
import Foundation
import Hummingbird
import Queue
import Workers

extension APIRoutes {
    static let queueReaders: Access = .roles([.admin, .ops])

    /// Backups and queue administration: the same calls `joycity backup` and `joycity queue` make.
    func addAdminRoutes(_ s: APIServices) {
        add(
            Endpoint(
                .post, "/api/backups", "requestBackup", "Queue a PostgreSQL backup to S3 (a second request while one is queued or running returns that one)",
                tag: "backups", access: Self.adminOnly, status: 202, response: .json(.ref("BackupQueued")))
        ) { _, context in
            let principal = try context.requirePrincipal()
            let result = try await Self.queueCall { try await s.queue.enqueue(try BackupJob.request(trigger: "api:\(principal.login)")) }
            return try JSONBodies.response(BackupQueued(jobId: result.id, alreadyRunning: result.status == .duplicate), status: .accepted)
        }

        add(
            Endpoint(
                .get, "/api/backups", "listBackups", "Recent backups, newest first, with status and progress (bytes, parts)", tag: "backups",
                access: Self.queueReaders, query: [("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false)],
                response: .json(.arrayOf(.ref("Backup"))))
        ) { request, _ in
            let limit = try Self.query(request, "limit", default: 50, range: 1...1000, what: "a whole number")
            do { return try JSONBodies.response(try await s.backups.list(limit: limit).map(BackupView.init)) } catch { throw APIError.database(error) }
        }

        add(
            Endpoint(
                .get, "/api/queues", "listQueues",
                "Every queue with depth, pending, delayed, dead, lag, paused, counters and rates (counters sampled `sample` seconds apart)",
                tag: "queues", access: Self.queueReaders, query: [("sample", ["type": "number", "minimum": 0, "maximum": 10], false)],
                response: .json(.arrayOf(.ref("QueueOverview"))))
        ) { request, _ in
            let sample = try Self.query(request, "sample", default: 1.0, range: 0...10, what: "a number of seconds")
            return try JSONBodies.response(try await Self.queueCall { try await s.queue.overview(sample: .milliseconds(Int64(sample * 1000))) })
        }

        add(
            Endpoint(.get, "/api/workers", "listWorkers", "Live workers with their jobs", tag: "queues", access: Self.queueReaders,
                response: .json(.arrayOf(.ref("Worker"))))
        ) { _, _ in
            try JSONBodies.response(try await Self.queueCall { try await s.queue.workers() })
        }

        add(Endpoint(.get, "/api/jobs/{jobId}", "getJob", "One job by id", tag: "queues", access: Self.queueReaders, response: .json(.ref("Job")))) { _, context in
            let id = try context.parameters.require("jobId")
            guard let job = try await Self.queueCall({ try await s.queue.job(id) }) else { throw APIError.notFound("there is no job \(id) (finished records expire)") }
            return try JSONBodies.response(job)
        }

        add(
            Endpoint(.get, "/api/queues/{queue}/dead", "listDeadLetters", "Dead letters of a queue, oldest first", tag: "queues",
                access: Self.queueReaders, query: [("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false)],
                response: .json(.arrayOf(.ref("DeadLetter"))))
        ) { request, context in
            let queue = try context.parameters.require("queue")
            let limit = try Self.query(request, "limit", default: 50, range: 1...1000, what: "a whole number")
            return try JSONBodies.response(try await Self.queueCall { try await s.queue.deadLetters(queue, count: limit) })
        }

        add(
            Endpoint(.post, "/api/dead/{jobId}/retry", "retryDeadLetter", "Put a dead job back in its queue as attempt 1", tag: "queues",
                access: Self.adminOnly, response: .json(.ref("RetryQueued")))
        ) { _, context in
            let id = try context.parameters.require("jobId")
            _ = try await Self.queueCall { try await s.queue.retryDead(id) }
            return try JSONBodies.response(RetryQueued(jobId: id))
        }

        add(
            Endpoint(.delete, "/api/dead/{jobId}", "deleteDeadLetter", "Delete a dead letter and its record", tag: "queues",
                access: Self.adminOnly, status: 204)
        ) { _, context in
            let id = try context.parameters.require("jobId")
            try await Self.queueCall { try await s.queue.deleteDead(id) }
            return JSONBodies.noContent()
        }

        for (verb, summary) in [("pause", "Stop workers taking jobs from a queue"), ("resume", "Let workers take jobs from a queue again")] {
            add(
                Endpoint(.post, "/api/queues/{queue}/\(verb)", "\(verb)Queue", summary, tag: "queues", access: Self.adminOnly,
                    response: .json(.ref("QueueStats")))
            ) { _, context in
                let queue = try context.parameters.require("queue")
                let stats = try await Self.queueCall {
                    if verb == "pause" { try await s.queue.pause(queue) } else { try await s.queue.resume(queue) }
                    return try await s.queue.stats(queue)
                }
                return try JSONBodies.response(stats)
            }
        }
    }

    /// Runs a queue call, turning its errors into API errors.
    static func queueCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as QueueError {
            if error.code == .notFound { throw APIError.notFound(error.message) }
            if error.code == .invalidArgument { throw APIError.invalid(error.message) }
            throw APIError.unavailable("the queue is not reachable (Redis); try again shortly")
        } catch let error as APIError {
            throw error
        } catch {
            throw APIError.unavailable("the queue is not reachable (Redis); try again shortly")
        }
    }

    /// A query parameter within `range` (`default` when absent).
    /// - Throws: ``APIError`` 400 saying what is accepted.
    static func query<T: LosslessStringConvertible & Comparable>(
        _ request: Request, _ name: String, default value: T, range: ClosedRange<T>, what: String
    ) throws -> T {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = T(String(text)), range.contains(number) else {
            throw APIError.invalid("'\(name)' must be \(what) from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
