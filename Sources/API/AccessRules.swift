import FleetStore

extension Access {
    /// Admins only.
    static let adminOnly: Access = .roles([.admin])
    /// Who reads users: admins, directors, heads of sales, support.
    static let userReaders: Access = .roles([.admin, .director, .headOfSales, .support])
    /// Who assigns accounts and articles: admins and heads of sales.
    static let teamLeads: Access = .roles([.admin, .headOfSales])
    /// Who reads seller accounts.
    static let accountReaders: Access = .roles([.admin, .director, .headOfSales, .analyst, .accountant, .ops])
    /// Who reads queues, workers, jobs and backups: admins and ops.
    static let queueReaders: Access = .roles([.admin, .ops])
}
