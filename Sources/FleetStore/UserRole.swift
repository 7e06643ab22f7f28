/// What a user may do. A user holds one or more roles; every endpoint names the roles it admits (``Access``).
///
/// The set is mirrored by the `user_roles.role` check in the database (migration 5); `RoleListTests` fails when the
/// two differ, so a new role needs both (and a migration that widens the check).
public enum UserRole: String, Sendable, Codable, CaseIterable, Comparable {
    /// Everything, including users, seller accounts, backups and queue control. Granted only by
    /// `joycity users create-admin` (the database refuses any other path).
    case admin = "ADMIN"
    /// Company management: reads everything business-side.
    case director = "DIRECTOR"
    /// Leads the managers: assigns articles, reads KPIs of the team.
    case headOfSales = "HEAD_OF_SALES"
    /// Works the assigned articles of one seller account through the proxy edge.
    case manager = "MANAGER"
    /// Plans office-to-warehouse shipments.
    case logistician = "LOGISTICIAN"
    /// Reads synced data and KPIs.
    case analyst = "ANALYST"
    /// Reads financial reports.
    case accountant = "ACCOUNTANT"
    /// Edits product content.
    case contentManager = "CONTENT_MANAGER"
    /// Helps users: reads users and their sessions.
    case support = "SUPPORT"
    /// May open the API documentation (Swagger UI).
    case swagger = "SWAGGER"
    /// Operations, read-only: queue depths, workers, jobs, dead letters, backups.
    case ops = "OPS"

    public static func < (lhs: UserRole, rhs: UserRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
