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
    /// Who reads KPIs: supervisors every manager's, a manager their own (the handlers narrow it).
    static let kpiReaders: Access = .roles([.admin, .director, .headOfSales, .analyst, .accountant, .manager])
    /// Who reads every manager's KPIs, the history, settings and targets.
    static let kpiSupervisors: Access = .roles([.admin, .director, .headOfSales, .analyst, .accountant])
    /// Who sets score weights: admins and directors.
    static let kpiOwners: Access = .roles([.admin, .director])
    /// Who sets monthly targets and queues a recompute: admins, directors, heads of sales (of their account).
    static let kpiLeads: Access = .roles([.admin, .director, .headOfSales])
    /// Who sets cost prices: admins, directors, accountants.
    static let costPriceEditors: Access = .roles([.admin, .director, .accountant])
    /// Who reads queues, workers, jobs and backups: admins and ops.
    static let queueReaders: Access = .roles([.admin, .ops])
}
