/// Why the proxy has no usable WB portal session for an account; each says what to do.
enum PortalSessionError: Error, Equatable, CustomStringConvertible {
    /// No portal credentials are stored: an admin sets them (`PUT /api/accounts/{id}/portal-credentials`).
    case missing
    /// WB refused the session (401/403 to a refresh or twice to a request): an admin stores fresh cookies.
    case invalid(String)
    /// WB could not be reached or answered something else; the session is kept and the next request tries again.
    case unreachable(String)

    var description: String {
        switch self {
        case .missing: "the account has no WB portal credentials; an admin sets them (PUT /api/accounts/{id}/portal-credentials)"
        case .invalid(let reason): "WB refused the account's portal session (\(reason)); an admin stores fresh portal cookies"
        case .unreachable(let detail): "WB's portal could not renew the session (\(detail)); the next request tries again"
        }
    }
}
