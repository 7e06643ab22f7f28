import Assignments
import AvatarStorage
import FleetAuth
import FleetStore
import KPI
import Logging
import Queue
import WBKit

/// What the handlers work with, built once per process (``APIServer``).
public struct APIServices: Sendable {
    public let configuration: APIConfiguration
    public let tokens: TokenIssuer
    public let authenticator: Authenticator
    public let gate: SessionGate
    public let sessions: SessionStore
    public let users: UserStore
    public let accounts: AccountStore
    public let backups: BackupStore
    /// Monthly article assignments (every change announced through the outbox).
    public let assignments: AssignmentStore
    /// Manager KPIs (computed by the workers; read here) and what they are computed with.
    public let kpi: KPIStore
    public let queue: StreamQueue
    public let hasher: PasswordHasher
    public let loginLimiter: LoginLimiter
    /// Nil when S3 is not configured: avatar uploads answer 503 saying so.
    public let avatars: AvatarStore?
    /// Checks WB tokens of new accounts (`/ping`).
    public let wb: WBClient
    /// Checks Redis and PostgreSQL for `/api/ready`: name → `ok` or the problem.
    public let readiness: @Sendable () async -> [String: String]
    public let logger: Logger
}
