import Foundation

/// A seller account (one legal entity with its own WB Seller cabinet), as listed: never carries the token.
public struct SellerAccount: Sendable, Codable, Equatable {
    /// Where the detailed financial report comes from.
    public enum ReportSource: String, Sendable, Codable, CaseIterable {
        /// `GET statistics-api /api/v5/supplier/reportDetailByPeriod` (snake_case, money as numbers).
        case statistics
        /// `POST finance-api /api/finance/v1/sales-reports/detailed` (2026 successor: camelCase, money as strings).
        case finance
    }

    /// Whether WB accepted the token the last time it was used.
    public enum TokenStatus: String, Sendable, Codable {
        case unchecked, ok, invalid
    }

    public var id: Int64
    public var name: String
    /// ИНН: 10 digits (company) or 12 (sole proprietor).
    public var inn: String
    /// The seller id (`sid` claim of the token).
    public var wbSellerID: String?
    public var tokenExpiresAt: Date?
    public var reportSource: ReportSource
    public var syncEnabled: Bool
    public var tokenStatus: TokenStatus
    /// WB's detail when the token was refused.
    public var tokenError: String?
    public var lastSyncState: String?
    public var lastSyncError: String?
    public var lastSyncAt: Date?
    /// Whether a WB token is stored.
    public var hasToken: Bool
    /// How often the scheduler syncs this account (seconds); `nil` uses the fleet default (`WB_SYNC_INTERVAL`).
    public var syncIntervalSeconds: Int?
    /// The token as it may be shown: `••••` and its last four characters (nil without a token).
    public var tokenMasked: String?
    /// Whether several managers may hold one article in a month (default: one manager per article).
    public var sharedArticles: Bool
    /// What the proxy edge last learned of the account's WB portal session.
    public var portalSession: PortalSessionStatus

    /// The account's WB portal session as the proxy edge last found it.
    public struct PortalSessionStatus: Sendable, Codable, Equatable {
        public enum State: String, Sendable, Codable {
            /// No portal credentials are stored.
            case none
            /// Stored, not used since.
            case unchecked
            /// WB renewed it.
            case valid
            /// WB refused it: an admin stores fresh portal cookies.
            case invalid
        }
        public var state: State
        /// WB's refusal, when invalid.
        public var reason: String?
        public var checkedAt: Date?

        public init(state: State, reason: String? = nil, checkedAt: Date? = nil) {
            self.state = state
            self.reason = reason
            self.checkedAt = checkedAt
        }
    }
}

/// What it takes to call WB for an account: its id, seller id and decrypted token.
public struct AccountCredentials: Sendable {
    public var account: SellerAccount
    /// The WB API token (a JWT), decrypted.
    public var token: String
}
