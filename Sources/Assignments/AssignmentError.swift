/// Why an assignment change was refused. Nothing was changed when one is thrown; each case says what to do.
public struct AssignmentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kind, which the API maps to a status.
    public enum Kind: String, Sendable, Codable {
        /// The request itself is malformed: a bad nmId, a missing comment (400).
        case invalid
        /// Well-formed, but a rule refuses it: an article not in synced data, a user of another account (422).
        case refused
        /// The target (account, user) does not exist (404).
        case notFound
        /// Another user holds an article (409).
        case conflict
        /// An uploaded file cannot be read or has problems (422 with the problems listed).
        case importRejected
    }

    public let kind: Kind
    public let message: String
    /// Row problems of a rejected import (empty otherwise).
    public let problems: [ImportProblem]
    /// Articles held by someone else, with the holder (empty otherwise).
    public let conflicts: [ArticleConflict]

    /// Creates an error.
    public init(_ kind: Kind, _ message: String, problems: [ImportProblem] = [], conflicts: [ArticleConflict] = []) {
        self.kind = kind
        self.message = message
        self.problems = problems
        self.conflicts = conflicts
    }

    public var description: String { message }
}

/// An article another user of the same account already holds in that month.
public struct ArticleConflict: Sendable, Equatable, Codable {
    public var nmId: Int64
    public var holderId: Int64
    public var holderLogin: String

    public init(nmId: Int64, holderId: Int64, holderLogin: String) {
        self.nmId = nmId
        self.holderId = holderId
        self.holderLogin = holderLogin
    }
}
