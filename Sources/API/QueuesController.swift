import FleetAuth
import FleetHTTP
import FleetStore
import Foundation
import Hummingbird
import JobCatalog
import Queue

/// Queue administration: the same calls `joycity queue` makes.
struct QueuesController: Sendable {
    let api: APIServices

    /// Registers the routes on `routes`.
    func addRoutes(to routes: APIRoutes) {
        routes.add(Self.listQueuesEndpoint, listQueues)
        routes.add(Self.listWorkersEndpoint, listWorkers)
        routes.add(Self.getJobEndpoint, getJob)
        routes.add(Self.listDeadLettersEndpoint, listDeadLetters)
        routes.add(Self.searchDeadLettersEndpoint, searchDeadLetters)
        routes.add(Self.retryDeadLetterEndpoint, retryDeadLetter)
        routes.add(Self.pauseQueueEndpoint, pauseQueue)
        routes.add(Self.resumeQueueEndpoint, resumeQueue)
        routes.add(Self.deleteDeadLetterEndpoint, deleteDeadLetter)
    }

    static let listQueuesEndpoint = Endpoint(
        .get,
        "/api/queues",
        "listQueues",
        "Every queue with depth, pending, delayed, dead, lag, paused, counters and rates (counters sampled `sample` seconds apart)",
        tag: "queues",
        access: .queueReaders,
        query: [("sample", ["type": "number", "minimum": 0, "maximum": 10], false)],
        response: .json(.arrayOf(.ref("QueueOverview")))
    )
    /// `GET /api/queues`: Every queue with depth, pending, delayed, dead, lag, paused, counters and rates (counters sampled `sample` seconds apart).
    @Sendable func listQueues(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let sample = try Self.query(request, "sample", default: 1.0, range: 0...10, what: "a number of seconds")
        return try JSONBodies.response(try await Self.queueCall { try await api.queue.overview(sample: .milliseconds(Int64(sample * 1000))) })
    }

    static let listWorkersEndpoint = Endpoint(
        .get,
        "/api/workers",
        "listWorkers",
        "Live workers with their jobs",
        tag: "queues",
        access: .queueReaders,
        response: .json(.arrayOf(.ref("Worker")))
    )
    /// `GET /api/workers`: Live workers with their jobs.
    @Sendable func listWorkers(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try JSONBodies.response(try await Self.queueCall { try await api.queue.workers() })
    }

    static let getJobEndpoint = Endpoint(
        .get,
        "/api/jobs/{jobId}",
        "getJob",
        "One job by id",
        tag: "queues",
        access: .queueReaders,
        response: .json(.ref("Job"))
    )
    /// `GET /api/jobs/{jobId}`: One job by id.
    @Sendable func getJob(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("jobId")
        guard let job = try await Self.queueCall({ try await api.queue.job(id) }) else {
            throw APIError.notFound("there is no job \(id) (finished records expire)")
        }
        return try JSONBodies.response(job)
    }

    static let listDeadLettersEndpoint = Endpoint(
        .get,
        "/api/queues/{queue}/dead",
        "listDeadLetters",
        "Dead letters of a queue, oldest first",
        tag: "queues",
        access: .queueReaders,
        query: [("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false)],
        response: .json(.arrayOf(.ref("DeadLetter")))
    )
    /// `GET /api/queues/{queue}/dead`: Dead letters of a queue, oldest first.
    @Sendable func listDeadLetters(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let queue = try context.parameters.require("queue")
        let limit = try Self.query(request, "limit", default: 50, range: 1...1000, what: "a whole number")
        return try JSONBodies.response(try await Self.queueCall { try await api.queue.deadLetters(queue, count: limit) })
    }

    static let searchDeadLettersEndpoint = Endpoint(
        .get,
        "/api/queues/{queue}/dead/search",
        "searchDeadLetters",
        "Dead letters of a queue whose type, job id or payload contains `q` (case-insensitive), newest first, searched in Redis up to `scan` letters",
        tag: "queues",
        access: .queueReaders,
        query: [
            ("q", ["type": "string", "minLength": 1, "maxLength": 200], true), ("limit", ["type": "integer", "minimum": 1, "maximum": 1000], false),
            ("scan", ["type": "integer", "minimum": 1, "maximum": 1_000_000], false),
        ],
        response: .json(.ref("DeadLetterSearch"))
    )
    /// `GET /api/queues/{queue}/dead/search?q=`: the dead letters matching `q`, and how far the search looked.
    @Sendable func searchDeadLetters(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let queue = try context.parameters.require("queue")
        let text = request.uri.queryParameters.get("q").map { String($0) } ?? ""
        guard text.contains(where: { !$0.isWhitespace }), text.utf8.count <= 200 else {
            throw APIError.invalid("'q' is the text to search for: 1 to 200 bytes")
        }
        let limit = try Self.query(request, "limit", default: 100, range: 1...1000, what: "a whole number")
        let scan = try Self.query(request, "scan", default: 100_000, range: 1...1_000_000, what: "a whole number")
        return try JSONBodies.response(
            try await Self.queueCall { try await api.queue.searchDeadLetters(queue, text: text, count: limit, scanLimit: scan) }
        )
    }

    static let retryDeadLetterEndpoint = Endpoint(
        .post,
        "/api/dead/{jobId}/retry",
        "retryDeadLetter",
        "Put a dead job back in its queue as attempt 1",
        tag: "queues",
        access: .adminOnly,
        response: .json(.ref("RetryQueued"))
    )
    /// `POST /api/dead/{jobId}/retry`: Put a dead job back in its queue as attempt 1.
    @Sendable func retryDeadLetter(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("jobId")
        _ = try await Self.queueCall { try await api.queue.retryDead(id) }
        return try JSONBodies.response(RetryQueued(jobId: id))
    }

    static let deleteDeadLetterEndpoint = Endpoint(
        .delete,
        "/api/dead/{jobId}",
        "deleteDeadLetter",
        "Delete a dead letter and its record",
        tag: "queues",
        access: .adminOnly,
        status: 204
    )
    /// `DELETE /api/dead/{jobId}`: Delete a dead letter and its record.
    @Sendable func deleteDeadLetter(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        let id = try context.parameters.require("jobId")
        try await Self.queueCall { try await api.queue.deleteDead(id) }
        return JSONBodies.noContent()
    }

    static let pauseQueueEndpoint = Endpoint(
        .post,
        "/api/queues/{queue}/pause",
        "pauseQueue",
        "Stop workers taking jobs from a queue",
        tag: "queues",
        access: .adminOnly,
        response: .json(.ref("QueueStats"))
    )
    /// `POST /api/queues/{queue}/pause`: Stop workers taking jobs from a queue.
    @Sendable func pauseQueue(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try await setPaused(true, context)
    }

    static let resumeQueueEndpoint = Endpoint(
        .post,
        "/api/queues/{queue}/resume",
        "resumeQueue",
        "Let workers take jobs from a queue again",
        tag: "queues",
        access: .adminOnly,
        response: .json(.ref("QueueStats"))
    )
    /// `POST /api/queues/{queue}/resume`: Let workers take jobs from a queue again.
    @Sendable func resumeQueue(_ request: Request, _ context: APIRequestContext) async throws -> Response {
        try await setPaused(false, context)
    }

    /// Pauses or resumes the queue the path names and answers with its stats.
    func setPaused(_ paused: Bool, _ context: APIRequestContext) async throws -> Response {
        let queue = try context.parameters.require("queue")
        return try JSONBodies.response(
            try await Self.queueCall {
                if paused { try await api.queue.pause(queue) } else { try await api.queue.resume(queue) }
                return try await api.queue.stats(queue)
            }
        )
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
        _ request: Request,
        _ name: String,
        default value: T,
        range: ClosedRange<T>,
        what: String
    ) throws -> T {
        guard let text = request.uri.queryParameters.get(name) else { return value }
        guard let number = T(String(text)), range.contains(number) else {
            throw APIError.invalid("'\(name)' must be \(what) from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }
}
