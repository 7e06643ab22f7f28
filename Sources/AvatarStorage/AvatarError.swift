/// Why an avatar was refused or could not be stored or read. The API answers 413, 415, 422, 404 or 503 for it.
public struct AvatarError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is.
    public enum Kind: Sendable, Equatable {
        /// More bytes than the configured maximum.
        case tooLarge
        /// Not a JPEG at all.
        case notJPEG
        /// A JPEG whose structure is broken.
        case invalidImage
        /// A JPEG larger than ``AvatarStore/maxSide`` on a side.
        case imageTooLarge
        /// The stored object is gone.
        case notFound
        /// S3 is not reachable or refused the request.
        case unavailable
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// What happened and what to do: for the caller, so never S3's address, bucket or object key.
    public let message: String
    /// S3's own error, for the log.
    public let underlying: String?

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, underlying: String? = nil) {
        self.kind = kind
        self.message = message
        self.underlying = underlying
    }

    public var description: String { underlying.map { "\(message) (\($0))" } ?? message }
}
