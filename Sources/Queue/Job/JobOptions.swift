import FleetCore

/// How a job is enqueued: when it runs, how it is deduplicated, how often it is tried, what follows it.
public struct JobOptions: Sendable, Codable, Equatable {
    /// Run no earlier than this many milliseconds from now (`nil` or 0: at once).
    public var delayMs: Int64?
    /// Run no earlier than this time (ms since the epoch); wins over ``delayMs``.
    public var runAtMs: Int64?
    /// While a job with this key is queued, delayed or running, enqueueing another returns the existing id.
    public var uniqueKey: String?
    /// How long a unique key is held at most after the job becomes due (a safety net if a worker vanished).
    public var uniqueTTLms: Int64?
    /// Debounce key: while a job with this key is still waiting for its delay, enqueueing again replaces its payload
    /// and pushes its start back by ``delayMs``, so a burst coalesces into one run after the last change.
    public var debounceKey: String?
    /// Attempts before the job is dead-lettered (`nil`: the queue's default).
    public var maxAttempts: Int?
    /// Jobs that share this key run at most ``concurrencyLimit`` at a time across the whole fleet.
    public var concurrencyKey: String?
    /// Limit for ``concurrencyKey`` (default 1).
    public var concurrencyLimit: Int?
    /// The producer's trace context, carried to the job's consumer span: a JSON object of propagation headers
    /// (`{"traceparent":"00-…"}`) or a bare W3C `traceparent`. `nil`: the current task's context, if any.
    public var traceContext: String?
    /// Jobs enqueued atomically with this job's acknowledgement when it succeeds.
    public var next: [JobRequest]?

    /// Creates options; every field is optional.
    public init(
        delayMs: Int64? = nil,
        runAtMs: Int64? = nil,
        uniqueKey: String? = nil,
        uniqueTTLms: Int64? = nil,
        debounceKey: String? = nil,
        maxAttempts: Int? = nil,
        concurrencyKey: String? = nil,
        concurrencyLimit: Int? = nil,
        traceContext: String? = nil,
        next: [JobRequest]? = nil
    ) {
        self.delayMs = delayMs
        self.runAtMs = runAtMs
        self.uniqueKey = uniqueKey
        self.uniqueTTLms = uniqueTTLms
        self.debounceKey = debounceKey
        self.maxAttempts = maxAttempts
        self.concurrencyKey = concurrencyKey
        self.concurrencyLimit = concurrencyLimit
        self.traceContext = traceContext
        self.next = next
    }

    enum CodingKeys: String, CodingKey {
        case delayMs = "delay"
        case runAtMs = "at"
        case uniqueKey = "unique"
        case uniqueTTLms = "uniqueTTL"
        case debounceKey = "debounce"
        case
            maxAttempts = "max"
        case concurrencyKey = "ckey"
        case concurrencyLimit = "climit"
        case traceContext = "trace"
        case next
    }
}

/// A job to enqueue: type name, JSON payload, queue and options. Also the wire form of chained follow-ups.
public struct JobRequest: Sendable, Codable, Equatable {
    /// The job type's wire name.
    public var type: String
    /// The payload as JSON text.
    public var payload: String {
        didSet { payloadIsEncoded = false }
    }
    /// The queue (`nil`: the queue's configured default).
    public var queue: String?
    /// A caller-chosen id (`nil`: a new ULID).
    public var id: String?
    /// Enqueue options.
    public var options: JobOptions
    /// Whether ``payload`` came from our own JSON encoder (valid by construction, not parsed again on enqueue).
    var payloadIsEncoded = false

    enum CodingKeys: String, CodingKey {
        case type, payload, queue, id, options
    }

    /// Decodes a request; `queue`, `id` and `options` may be absent (docs/wire-format.md, follow-ups in `next`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        type = try container.decode(String.self, forKey: .type)
        payload = try container.decode(String.self, forKey: .payload)
        queue = try container.decodeIfPresent(String.self, forKey: .queue)
        id = try container.decodeIfPresent(String.self, forKey: .id)
        options = try container.decodeIfPresent(JobOptions.self, forKey: .options) ?? JobOptions()
    }

    /// Creates a request from already-encoded JSON.
    public init(type: String, payload: String, queue: String? = nil, id: String? = nil, options: JobOptions = JobOptions()) {
        self.type = type
        self.payload = payload
        self.queue = queue
        self.id = id
        self.options = options
    }

    /// Creates a request from a typed payload.
    /// - Throws: `EncodingError` when the payload cannot be encoded.
    public init<Payload>(
        _ type: JobType<Payload>,
        _ payload: Payload,
        queue: String? = nil,
        id: String? = nil,
        options: JobOptions = JobOptions()
    ) throws {
        self.init(type: type.name, payload: try JSONCoding.encode(payload), queue: queue, id: id, options: options)
        payloadIsEncoded = true
    }
}
