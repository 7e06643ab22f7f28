/// A job as it travels in a queue stream entry. The field names are the wire format (docs/wire-format.md):
/// `v id type payload attempt max enq [unique] [ckey climit] [trace] [next]`.
public struct JobEnvelope: Sendable, Equatable {
    /// The wire format version this build writes and reads.
    public static let wireVersion = "1"

    /// Job id (a ULID unless the producer chose one).
    public var id: String
    /// Job type's wire name.
    public var type: String
    /// Payload, JSON text.
    public var payload: String
    /// Which attempt this run is, from 1. A redelivery after a crash keeps the attempt.
    public var attempt: Int
    /// Attempts before dead-lettering.
    public var maxAttempts: Int
    /// First enqueue time, ms since the epoch.
    public var enqueuedAtMs: Int64
    /// Unique key held while the job is queued or running.
    public var uniqueKey: String?
    /// Fleet-wide concurrency key.
    public var concurrencyKey: String?
    /// Limit for ``concurrencyKey``.
    public var concurrencyLimit: Int?
    /// Producer's W3C traceparent.
    public var traceContext: String?
    /// Follow-up jobs (JSON array of ``JobRequest``), enqueued when this job succeeds.
    public var next: String?
    /// Whether the job has a record hash (`P:job:<id>`) from an earlier state (delayed, retried, parked, retried from
    /// the dead letters): its completion updates that record instead of the shared done bucket. Wire field `rec`.
    public var hasRecord: Bool = false

    /// Creates an envelope.
    public init(
        id: String,
        type: String,
        payload: String,
        attempt: Int = 1,
        maxAttempts: Int,
        enqueuedAtMs: Int64,
        uniqueKey: String? = nil,
        concurrencyKey: String? = nil,
        concurrencyLimit: Int? = nil,
        traceContext: String? = nil,
        next: String? = nil
    ) {
        self.id = id
        self.type = type
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.enqueuedAtMs = enqueuedAtMs
        self.uniqueKey = uniqueKey
        self.concurrencyKey = concurrencyKey
        self.concurrencyLimit = concurrencyLimit
        self.traceContext = traceContext
        self.next = next
    }

    /// The stream entry fields, `name value name value …`.
    public var fields: [String] {
        var fields = [
            "v", JobEnvelope.wireVersion, "id", id, "type", type, "payload", payload, "attempt", String(attempt),
            "max", String(maxAttempts), "enq", String(enqueuedAtMs),
        ]
        if let uniqueKey { fields += ["unique", uniqueKey] }
        if let concurrencyKey {
            fields += ["ckey", concurrencyKey, "climit", String(concurrencyLimit ?? 1)]
        }
        if let traceContext { fields += ["trace", traceContext] }
        if let next { fields += ["next", next] }
        if hasRecord { fields += ["rec", "1"] }
        return fields
    }

    /// Reads an envelope from stream entry fields (a field given twice: the last one counts).
    /// - Throws: ``QueueError`` with code `malformedEntry` and a reason that names the bad or missing field.
    public init<Fields: Sequence<(String, String)>>(fields: Fields) throws {
        // One pass over the fields: this runs for every delivered job.
        var version: String?
        var id: String?
        var type: String?
        var payload: String?
        var attempt: String?
        var maxAttempts: String?
        var enqueued: String?
        var unique: String?
        var ckey: String?
        var climit: String?
        var trace: String?
        var next: String?
        var record: String?
        for (name, value) in fields {
            switch name {
            case "v": version = value
            case "id": id = value
            case "type": type = value
            case "payload": payload = value
            case "attempt": attempt = value
            case "max": maxAttempts = value
            case "enq": enqueued = value
            case "unique": unique = value
            case "ckey": ckey = value
            case "climit": climit = value
            case "trace": trace = value
            case "next": next = value
            case "rec": record = value
            default: break
            }
        }
        func malformed(_ reason: String) -> QueueError { QueueError(.malformedEntry, reason) }
        func int(_ text: String?, _ name: String, default value: Int) throws -> Int {
            guard let text else { return value }
            guard let number = Int(text) else { throw malformed("field '\(name)' is not an integer: \(text.prefix(40))") }
            return number
        }
        if let version, version != JobEnvelope.wireVersion {
            throw malformed("wire format version \(version) is not supported (this worker reads \(JobEnvelope.wireVersion)); upgrade the worker")
        }
        guard let id, !id.isEmpty else { throw malformed("missing field 'id'") }
        guard JobID.isValid(id) else { throw malformed("field 'id' (\(id.prefix(40))) has characters outside [A-Za-z0-9-_.:] or is longer than 128") }
        guard let type, !type.isEmpty else { throw malformed("missing field 'type'") }
        guard let payload else { throw malformed("missing field 'payload'") }
        let attemptNumber = try int(attempt, "attempt", default: 1)
        guard attemptNumber >= 1 else { throw malformed("field 'attempt' must be 1 or more") }
        self.init(
            id: id,
            type: type,
            payload: payload,
            attempt: attemptNumber,
            maxAttempts: try int(maxAttempts, "max", default: 0),
            enqueuedAtMs: Int64(try int(enqueued, "enq", default: 0)),
            uniqueKey: unique.flatMap { $0.isEmpty ? nil : $0 },
            concurrencyKey: ckey.flatMap { $0.isEmpty ? nil : $0 },
            concurrencyLimit: ckey == nil ? nil : try int(climit, "climit", default: 1),
            traceContext: trace,
            next: next.flatMap { $0.isEmpty ? nil : $0 }
        )
        if let limit = concurrencyLimit, limit < 1 { throw malformed("field 'climit' must be 1 or more") }
        hasRecord = record == "1"
    }
}
