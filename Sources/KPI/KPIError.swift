/// Why a KPI request was refused or failed. Nothing was changed when one is thrown; each says what to do.
public struct KPIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind, which the API maps to a status.
    public enum Kind: String, Sendable, Codable {
        /// The request is malformed: an unknown metric, a bad weight or target (400).
        case invalid
        /// The account, user or month has nothing of that kind (404).
        case notFound
        /// The month has not been computed yet (409: queue a recompute).
        case notComputed
    }

    public let kind: Kind
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
