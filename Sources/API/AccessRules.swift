import FleetStore

extension Access {
    /// Admins only.
    static let adminOnly: Access = .roles([.admin])
    /// Who reads users: admins, directors, heads of sales, support.
    static let userReaders: Access = .roles([.admin, .director, .headOfSales, .support])
    /// Who assigns accounts and articles: admins and heads of sales.
    static let teamLeads: Access = .roles([.admin, .headOfSales])
    /// Who reads assignments: supervisors all of them, a manager their own (the handlers narrow it).
    static let assignmentReaders: Access = .roles([.admin, .director, .headOfSales, .analyst, .manager])
    /// Who reads every assignment of a month, its conflicts, exports and the audit.
    static let assignmentSupervisors: Access = .roles([.admin, .director, .headOfSales, .analyst])
    /// Who reads seller accounts.
    static let accountReaders: Access = .roles([.admin, .director, .headOfSales, .analyst, .accountant, .ops])
    /// Who reads queues, workers, jobs and backups: admins and ops.
    static let queueReaders: Access = .roles([.admin, .ops])
}
