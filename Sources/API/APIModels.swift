import FleetStore
import Foundation

// Request and response bodies. Their OpenAPI schemas are in APISchemas.swift, next to these; keep both in step
// (the OpenAPI test decodes live responses against the document's required fields).

/// `POST /api/auth/login`.
struct LoginRequest: Codable, Sendable {
    /// Login name or email, any case.
    var login: String
    var password: String
    /// A label for the session list (default: the User-Agent).
    var device: String?
    /// Also return the refresh token in the body (scripts); browsers keep it in the HttpOnly cookie only.
    var includeRefreshToken: Bool?
}

/// What sign-in and refresh return.
struct TokenResponse: Codable, Sendable {
    var accessToken: String
    var tokenType: String
    var expiresAt: Date
    var refreshToken: String?
    var user: User
}

/// `POST /api/auth/refresh` (the body is optional: the refresh cookie is used without one).
struct RefreshRequest: Codable, Sendable {
    var refreshToken: String?
    var includeRefreshToken: Bool?
}

/// `POST /api/auth/password`.
struct PasswordChange: Codable, Sendable {
    var currentPassword: String
    var newPassword: String
}

/// `PATCH /api/auth/me`.
struct ProfileUpdate: Codable, Sendable {
    var name: String
}

/// `POST /api/users`.
struct UserCreate: Codable, Sendable {
    var login: String
    var email: String?
    var name: String
    var password: String
    var roles: [UserRole]
    var accountId: Int64?
}

/// `PATCH /api/users/{id}`: absent fields stay; `email: null` clears the email.
struct UserUpdate: Decodable, Sendable {
    var name: String?
    var email: String??
    var roles: [UserRole]?
    var disabled: Bool?

    enum CodingKeys: String, CodingKey { case name, email, roles, disabled }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        email = try container.decodeNullable(String.self, forKey: .email)
        roles = try container.decodeIfPresent([UserRole].self, forKey: .roles)
        disabled = try container.decodeIfPresent(Bool.self, forKey: .disabled)
    }
}

/// `PUT /api/users/{id}/account`: `accountId` is required (null detaches the user).
struct AccountAssignment: Codable, Sendable {
    /// The seller account, or null to detach the user.
    var accountId: Int64?

    enum CodingKeys: String, CodingKey { case accountId }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        guard let accountId = try container.decodeNullable(Int64.self, forKey: .accountId) else {
            throw DecodingError.keyNotFound(CodingKeys.accountId, .init(codingPath: [], debugDescription: "accountId is required (null detaches)"))
        }
        self.accountId = accountId
    }
}

/// `PUT /api/users/{id}/articles`.
struct ArticleList: Codable, Sendable {
    var accountId: Int64?
    var nmIds: [Int64]
    /// Accept nmIds not in synced data (needs ``comment``).
    var force: Bool? = nil
    var comment: String? = nil
}

/// `POST /api/users/{id}/password` (admin reset).
struct PasswordReset: Codable, Sendable {
    var newPassword: String
}

/// How many sessions were revoked.
struct RevokedCount: Codable, Sendable {
    var revoked: Int
}

/// `POST /api/accounts`.
struct AccountCreate: Codable, Sendable {
    var name: String
    /// ИНН: 10 or 12 digits.
    var inn: String
    /// The WB API token (write-only).
    var token: String
    var syncIntervalSeconds: Int?
    var reportSource: SellerAccount.ReportSource?
    var syncEnabled: Bool?
    /// The WB portal credentials, checked by the proxy edge against WB before anything is stored.
    var portalCredentials: PortalCredentials?
}

/// `PATCH /api/accounts/{id}`: absent fields stay; `syncIntervalSeconds: null` returns to the fleet default.
struct AccountUpdate: Decodable, Sendable {
    var name: String?
    var token: String?
    var syncIntervalSeconds: Int??
    var reportSource: SellerAccount.ReportSource?
    var syncEnabled: Bool?
    var sharedArticles: Bool?

    enum CodingKeys: String, CodingKey { case name, token, syncIntervalSeconds, reportSource, syncEnabled, sharedArticles }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decodeIfPresent(String.self, forKey: .name)
        token = try container.decodeIfPresent(String.self, forKey: .token)
        syncIntervalSeconds = try container.decodeNullable(Int.self, forKey: .syncIntervalSeconds)
        reportSource = try container.decodeIfPresent(SellerAccount.ReportSource.self, forKey: .reportSource)
        syncEnabled = try container.decodeIfPresent(Bool.self, forKey: .syncEnabled)
        sharedArticles = try container.decodeIfPresent(Bool.self, forKey: .sharedArticles)
    }
}

/// `PUT /api/accounts/{id}/portal-credentials`.
struct PortalCredentials: Codable, Sendable, Equatable {
    /// Login (phone or email) of the WB Seller portal.
    var login: String?
    var password: String?
    /// Session cookies of the portal (`name=value; …`): `wbx-validation-key`, `wbx-refresh`, `wbx-seller-device-id`,
    /// `x-supplier-id-external`, as copied from a signed-in browser.
    var cookies: String?
    /// The access token (`wb-eu-passport-v2.access-token` in the portal's localStorage), optional: the proxy edge
    /// gets one through `slide-v3` with the refresh cookie.
    var accessToken: String?
}

/// `POST /api/backups`.
struct BackupQueued: Codable, Sendable {
    var jobId: String
    /// True when a backup was already queued or running: this is its job.
    var alreadyRunning: Bool
}

/// `GET /api/backups` item.
struct BackupView: Codable, Sendable {
    var id: Int64
    var jobId: String?
    var key: String
    var status: String
    var bytes: Int64
    var parts: Int
    var sha256: String?
    var startedAt: Date
    var finishedAt: Date?
    var error: String?

    init(_ record: BackupRecord) {
        id = record.id
        jobId = record.jobID
        key = record.key
        status = record.status.rawValue
        bytes = record.bytes
        parts = record.parts
        sha256 = record.sha256
        startedAt = record.startedAt
        finishedAt = record.finishedAt
        error = record.error
    }
}

/// `POST /api/dead/{jobId}/retry`.
struct RetryQueued: Codable, Sendable {
    var jobId: String
}

/// `/api/health` and `/api/ready`.
struct HealthStatus: Codable, Sendable {
    var status: String
    var checks: [String: String]?
}

/// `POST /internal/session`.
struct InternalSessionRequest: Codable, Sendable {
    /// The browser's `Cookie` header, or the access token itself.
    var cookie: String?
    var token: String?
}

/// What the proxy edge learns of a session.
struct InternalSession: Codable, Sendable {
    var user: User
    var sessionId: UUID
    var accountId: Int64?
    var articles: [Int64]
}

extension KeyedDecodingContainer {
    /// A field where absent and `null` differ (PATCH bodies): nil when absent, `.some(nil)` for `null`.
    func decodeNullable<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T?? {
        guard contains(key) else { return nil }
        return .some(try decodeNil(forKey: key) ? nil : try decode(T.self, forKey: key))
    }
}
