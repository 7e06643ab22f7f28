/// A job type: a stable wire name (not the Swift type name) and the payload it carries.
///
/// ```swift
/// extension JobType where Payload == SyncPayload {
///     static let wbSync = JobType(name: "wb.sync")
/// }
/// try await queue.enqueue(.wbSync, SyncPayload(account: 7), options: .init(uniqueKey: "wb.sync:7"))
/// ```
public struct JobType<Payload: Codable & Sendable>: Sendable, Hashable {
    /// The name written into every job of this type; workers look handlers up by it.
    public let name: String

    /// Creates a job type.
    public init(name: String) {
        self.name = name
    }
}
