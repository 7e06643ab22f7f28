/// One stream entry handed to this consumer: a job to run, or an entry that is not a valid job.
public struct Delivery: Sendable {
    /// The queue it came from.
    public let queue: String
    /// The stream entry id (what is acknowledged).
    public let entryId: String
    /// The parsed job, or why the entry is not one.
    public let envelope: Result<JobEnvelope, QueueError>
    /// How many times the entry has been delivered (1 on the first read; reclaims and hand-backs add one each).
    public var deliveries: Int
    /// The fields of an entry that is not a valid job, as they came (a valid one is kept parsed only).
    private let rawFields: [(String, String)]

    /// Parses `fields` (`name, value` pairs as read from the stream), keeping them only when they are not a valid job.
    init<Fields: Collection<(String, String)>>(queue: String, entryId: String, fields: Fields, deliveries: Int) {
        self.queue = queue
        self.entryId = entryId
        self.deliveries = deliveries
        do {
            envelope = .success(try JobEnvelope(fields: fields))
            rawFields = []
            return
        } catch let error as QueueError {
            envelope = .failure(error)
        } catch {
            envelope = .failure(QueueError(.malformedEntry, "\(error)"))
        }
        rawFields = Array(fields)
    }

    /// The entry's fields: as they came for an entry that is not a valid job, as its envelope writes them for a job.
    public var fields: [(String, String)] {
        guard case .success(let envelope) = envelope else { return rawFields }
        let flat = envelope.fields
        return stride(from: 0, to: flat.count - 1, by: 2).map { (flat[$0], flat[$0 + 1]) }
    }

    /// The job id if the entry names one (even when the entry is otherwise malformed).
    public var jobId: String? {
        if case .success(let envelope) = envelope { return envelope.id }
        return rawFields.first { $0.0 == "id" }.map(\.1).flatMap { JobID.isValid($0) ? $0 : nil }
    }
}

/// A finished job to acknowledge.
public struct Completion: Sendable {
    /// How the job ended.
    public enum State: String, Sendable {
        /// The handler returned.
        case completed
        /// The job was cancelled on request before or while it ran.
        case cancelled
    }
    /// The delivery being acknowledged: its queue, entry id and delivery count (the fence: a later delivery of the
    /// same entry, even to the same consumer, makes this one stale and its acknowledgement rejected).
    public let queue: String
    public let entryId: String
    public let deliveries: Int
    public let envelope: JobEnvelope
    public let state: State
    /// Result JSON to keep in the job record (empty: none).
    public let result: String
    /// Jobs to enqueue atomically with the acknowledgement (only for `completed`).
    public let followUps: [JobRequest]
    /// Whether the job has a record hash to update (it reported progress, or its envelope says so).
    public let hasRecord: Bool

    /// Creates a completion of the delivery `entryId` of `queue`, delivered `deliveries` times (as ``Delivery`` says).
    public init(
        queue: String,
        entryId: String,
        deliveries: Int,
        envelope: JobEnvelope,
        state: State = .completed,
        result: String = "",
        followUps: [JobRequest] = [],
        hasRecord: Bool = false
    ) {
        self.queue = queue
        self.entryId = entryId
        self.deliveries = deliveries
        self.envelope = envelope
        self.state = state
        self.result = result
        self.followUps = followUps
        self.hasRecord = hasRecord || envelope.hasRecord
    }

    /// Completed, with nothing to do but acknowledge and record it in the done bucket: no follow-ups, unique key,
    /// concurrency slot or record hash.
    var isPlain: Bool {
        state == .completed && followUps.isEmpty && !hasRecord && envelope.uniqueKey == nil && envelope.concurrencyKey == nil
    }
}

/// A failed run to record.
public struct FailureReport: Sendable {
    /// The delivery that failed: queue, entry id and delivery count (the fence, as in ``Completion``).
    public let queue: String
    public let entryId: String
    public let deliveries: Int
    /// The job id (for a malformed entry, the id it carried or the entry id).
    public let jobId: String
    /// The envelope as it should be stored (for a malformed entry: its raw fields).
    public let fields: [String]
    public let uniqueKey: String?
    public let concurrencyKey: String?
    public let concurrencyLimit: Int?
    /// The error, as JSON (`{"attempt":…,"at":…,"error":…,"worker":…}`).
    public let errorJSON: String
    /// When to run again (ms since the epoch), or `nil` to dead-letter.
    public let retryAtMs: Int64?

    /// Creates a report.
    public init(
        queue: String,
        entryId: String,
        deliveries: Int,
        jobId: String,
        fields: [String],
        uniqueKey: String?,
        concurrencyKey: String?,
        concurrencyLimit: Int?,
        errorJSON: String,
        retryAtMs: Int64?
    ) {
        self.queue = queue
        self.entryId = entryId
        self.deliveries = deliveries
        self.jobId = jobId
        self.fields = fields
        self.uniqueKey = uniqueKey
        self.concurrencyKey = concurrencyKey
        self.concurrencyLimit = concurrencyLimit
        self.errorJSON = errorJSON
        self.retryAtMs = retryAtMs
    }
}

/// A delivery this worker holds: renewed by heartbeats, handed back on shutdown.
public struct HeldEntry: Sendable, Hashable {
    public let queue: String
    public let entryId: String
    /// The delivery count it was delivered with (the fence).
    public let deliveries: Int
    public let jobId: String
    public let concurrencyKey: String?
    public let concurrencyLimit: Int?

    /// Creates a held delivery.
    public init(queue: String, entryId: String, deliveries: Int, jobId: String, concurrencyKey: String?, concurrencyLimit: Int?) {
        self.queue = queue
        self.entryId = entryId
        self.deliveries = deliveries
        self.jobId = jobId
        self.concurrencyKey = concurrencyKey
        self.concurrencyLimit = concurrencyLimit
    }
}
