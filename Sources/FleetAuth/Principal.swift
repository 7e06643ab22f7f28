import FleetStore
import Foundation

/// Who is calling: the user behind a verified access token and a live session.
public struct Principal: Codable, Sendable, Equatable {
    /// The user's id.
    public var userId: Int64
    /// The session (sign-in) the token belongs to.
    public var sessionId: UUID
    /// The user's sign-in name.
    public var login: String
    /// The user's display name.
    public var name: String
    /// The user's roles now (not when the token was issued).
    public var roles: [UserRole]
    /// The seller account the user works in.
    public var accountId: Int64?

    /// Creates a principal.
    public init(userId: Int64, sessionId: UUID, login: String, name: String, roles: [UserRole], accountId: Int64?) {
        self.userId = userId
        self.sessionId = sessionId
        self.login = login
        self.name = name
        self.roles = roles
        self.accountId = accountId
    }

    /// Whether the user holds any of `roles`.
    public func hasAny(_ roles: Set<UserRole>) -> Bool { self.roles.contains { roles.contains($0) } }
}
