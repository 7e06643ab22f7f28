/// An error from the PostgreSQL store. Its message says what happened and what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        fileprivate enum Base: String {
            case migrationFailed, notFound, invalidInput, alreadyExists, protected, statementFailed, secretKeyMissing, secretUndecryptable,
                malformedData,
                databaseUnavailable
        }
        fileprivate let base: Base
        /// A migration failed and was rolled back.
        public static var migrationFailed: Self { .init(base: .migrationFailed) }
        /// The row asked for does not exist.
        public static var notFound: Self { .init(base: .notFound) }
        /// A value given to the store is not acceptable (the message says which and why).
        public static var invalidInput: Self { .init(base: .invalidInput) }
        /// A record with the same key (an account's INN) already exists.
        public static var alreadyExists: Self { .init(base: .alreadyExists) }
        /// The database refused a change to a protected record (ADMIN outside `joycity users create-admin`).
        public static var protected: Self { .init(base: .protected) }
        /// No encryption key is configured, or the key id a secret was sealed with is not configured.
        public static var secretKeyMissing: Self { .init(base: .secretKeyMissing) }
        /// A stored secret does not decrypt with its key (wrong key material or tampered data).
        public static var secretUndecryptable: Self { .init(base: .secretUndecryptable) }
        /// Data from outside (a WB page) does not have the shape the store needs; nothing was written.
        public static var malformedData: Self { .init(base: .malformedData) }
        /// PostgreSQL refused a statement for a reason that is no fault of the input nor of the connection (a
        /// missing table or column, an internal error): a bug or a schema out of step, not worth a retry.
        public static var statementFailed: Self { .init(base: .statementFailed) }
        /// PostgreSQL could not be reached or the connection broke.
        public static var databaseUnavailable: Self { .init(base: .databaseUnavailable) }
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public let code: Code
    /// What happened and what to do.
    public let message: String
    /// The error underneath, if any.
    public let underlying: (any Error)?

    /// Creates an error.
    public init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    public var description: String {
        underlying.map { "\(message) (\(String(reflecting: $0)))" } ?? message
    }
}
