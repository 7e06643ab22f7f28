/// Figures of one queue, for `joycity queue list` and the admin API.
public struct QueueStats: Sendable, Codable, Equatable {
    /// Queue name.
    public var name: String
    /// Entries not yet delivered to any worker.
    public var waiting: Int
    /// Entries delivered and not yet acknowledged (running, or held by a dead worker until reclaimed).
    public var pending: Int
    /// Jobs waiting for their time (delayed or retrying).
    public var delayed: Int
    /// Entries in the dead-letter stream.
    public var dead: Int
    /// Age in ms of the oldest waiting entry (0 when none wait).
    public var lagMs: Int64
    /// Whether fetching from it is paused.
    public var paused: Bool
    /// Counters since the queue was created: enqueued, processed, failed, retried, dead, cancelled.
    public var counters: [String: Int]
}

/// A worker's last heartbeat record.
public struct WorkerInfo: Sendable, Codable, Equatable {
    public var name: String
    public var host: String
    public var pid: Int
    public var startedMs: Int64
    public var heartbeatMs: Int64
    public var queues: [String]
    public var concurrency: Int
    public var running: Int
    public var jobs: [String]
    public var processed: Int
    public var failed: Int
}

/// What is known of one job.
public struct JobInfo: Sendable, Codable, Equatable {
    public var id: String
    public var queue: String
    /// queued, active (delivered to a worker: running, or in its prefetch buffer about to start), delayed, retrying,
    /// parked, completed, cancelled or dead.
    public var state: String
    public var type: String?
    public var payload: String?
    public var attempt: Int?
    public var maxAttempts: Int?
    /// Deliveries of the current attempt, while active.
    public var deliveries: Int?
    /// The consumer running it (active) or that finished it.
    public var worker: String?
    public var enqueuedMs: Int64?
    public var runAtMs: Int64?
    public var finishedMs: Int64?
    /// JSON array of errors, oldest first.
    public var errors: String?
    public var result: String?
    public var progress: String?
    public var entryId: String?
}

/// One dead-letter entry.
public struct DeadLetter: Sendable, Codable, Equatable {
    public var entryId: String
    public var queue: String
    public var jobId: String
    public var type: String
    public var payload: String
    public var failedMs: Int64
    /// JSON array of errors, oldest first.
    public var errors: String
}

/// What a dead-letter search found (``StreamQueue/searchDeadLetters(_:text:count:scanLimit:)``).
public struct DeadLetterSearch: Sendable, Codable, Equatable {
    /// The matching letters, newest first.
    public var letters: [DeadLetter]
    /// Letters looked at.
    public var scanned: Int
    /// Whether every letter of the queue was looked at (false: the count or the scan limit stopped it).
    public var complete: Bool

    public init(letters: [DeadLetter], scanned: Int, complete: Bool) {
        self.letters = letters
        self.scanned = scanned
        self.complete = complete
    }
}
