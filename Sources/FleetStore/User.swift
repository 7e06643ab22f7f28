import Foundation

/// A user as the API shows it (never the password hash).
public struct User: Codable, Sendable, Equatable {
    public var id: Int64
    /// Lower-case sign-in name.
    public var login: String
    public var email: String?
    /// Display name.
    public var name: String
    public var roles: [UserRole]
    /// The seller account the user works in (at most one at a time).
    public var accountId: Int64?
    /// `/api/users/{id}/avatar` when an avatar is stored.
    public var avatarUrl: String?
    /// A disabled user cannot sign in; their sessions were revoked.
    public var disabled: Bool
    public var createdAt: Date
    public var updatedAt: Date
}
