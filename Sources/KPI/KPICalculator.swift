import Assignments

/// Computes a month of KPIs from the articles' figures and the month's assignment — pure, so the rules are tested
/// without a database. The rules (docs/kpi.md):
///
/// 1. An article's figures go to the people holding it that month (the month's assignment, whatever it was on
///    the day of the row); an article held by several is split equally, the indivisible units going to the lowest
///    user ids first. An article nobody holds goes to the unassigned remainder.
/// 2. Rows without an article (nm_id 0: storage, penalties, deductions, acceptance, …) are allocated in proportion
///    to each row's positive revenue in the month (managers and the unassigned articles alike), rounded down to
///    the unit for each manager; what is left — the unassigned articles' part and the rounding — stays in the
///    remainder. Without positive revenue in the month it all stays there.
/// 3. So every figure of the managers plus the remainder equals the account's total exactly.
/// 4. The cost of goods is sold units × cost price, per article; a row's margin is known only when every article it
///    sold (sold units not zero) has a cost price.
/// 5. Scores (``KPISettings``) rank the managers holding at least one article; ties go to the higher revenue,
///    then the higher orders sum, then the lower login, then the lower user id.
public struct KPICalculator: Sendable {
    /// The month's inputs.
    public struct Inputs: Sendable {
        public var month: AssignmentMonth
        /// nmId → summed figures (0: rows with no article); ``KPIFigure/costOfGoods`` is computed here.
        public var facts: [Int64: KPIFigures]
        /// nmId → the users holding it this month.
        public var holders: [Int64: [Int64]]
        /// Everyone to list: the account's active managers and any other holder.
        public var people: [KPIPerson]
        /// nmId → cost price in units (``KPIFigures/scale`` per ruble).
        public var costPrices: [Int64: Int64]
        public var settings: KPISettings
        /// user id → metric name → target.
        public var targets: [Int64: [String: Double]]

        public init(
            month: AssignmentMonth,
            facts: [Int64: KPIFigures],
            holders: [Int64: [Int64]],
            people: [KPIPerson],
            costPrices: [Int64: Int64] = [:],
            settings: KPISettings = .standard,
            targets: [Int64: [String: Double]] = [:]
        ) {
            self.month = month
            self.facts = facts
            self.holders = holders
            self.people = people
            self.costPrices = costPrices
            self.settings = settings
            self.targets = targets
        }
    }

    public init() {}

    /// Splits `value` into `parts` that sum to it: equal shares, the remainder's units to the first parts.
    public static func split(_ value: Int64, into parts: Int) -> [Int64] {
        precondition(parts > 0)
        let n = Int64(parts)
        let share = value / n
        let remainder = value % n  // same sign as value
        return (0..<n).map { $0 < abs(remainder) ? share + remainder.signum() : share }
    }

    /// Computes the month. - Throws: ``KPIError`` `invalid` when the settings are.
    public func compute(_ inputs: Inputs) throws -> KPIMonthResult {
        let weights = try inputs.settings.validated()
        var people = inputs.people
        var known = Set(people.map(\.userId))
        for user in inputs.holders.values.joined().sorted() where known.insert(user).inserted {
            people.append(KPIPerson(userId: user, login: "user-\(user)", name: "user \(user)"))
        }
        var direct: [Int64: KPIFigures] = [:]
        var articles: [Int64: [KPIArticleShare]] = [:]
        var missing: [Int64: [Int64]] = [:]
        var totals = KPIFigures.zero
        for nmId in inputs.facts.keys.sorted() {
            var figures = inputs.facts[nmId]!
            figures[.costOfGoods] = 0
            let cost = inputs.costPrices[nmId]
            if let cost { figures[.costOfGoods] = Int64((Int128(figures[.soldUnits]) * Int128(cost)) / Int128(KPIFigures.scale)) }
            totals += figures
            guard nmId != 0 else { continue }
            let holders = (inputs.holders[nmId] ?? []).sorted()
            let owners = holders.isEmpty ? [Int64(0)] : holders
            var parts = Array(repeating: KPIFigures.zero, count: owners.count)
            for figure in KPIFigure.allCases {
                for (index, part) in Self.split(figures[figure], into: owners.count).enumerated() { parts[index][figure] = part }
            }
            for (owner, part) in zip(owners, parts) {
                direct[owner, default: .zero] += part
                articles[owner, default: []].append(
                    KPIArticleShare(nmId: nmId, holders: holders.count, figures: part, costPrice: cost.map { Double($0) / Double(KPIFigures.scale) })
                )
                if cost == nil && figures[.soldUnits] != 0 { missing[owner, default: []].append(nmId) }
            }
        }
        // Rows without an article, by share of positive revenue.
        let general =
            inputs.facts[0].map { facts -> KPIFigures in
                var figures = facts
                figures[.costOfGoods] = 0
                return figures
            } ?? .zero
        let keys = people.map(\.userId) + [0]
        let positive = Dictionary(uniqueKeysWithValues: keys.map { ($0, max(direct[$0]?[.revenue] ?? 0, 0)) })
        let base = positive.values.reduce(Int128(0)) { $0 + Int128($1) }
        var allocated: [Int64: KPIFigures] = [:]
        var remainder = general
        if base > 0 {
            for person in people {
                var share = KPIFigures.zero
                for figure in KPIFigure.allCases where general[figure] != 0 {
                    share[figure] = Int64((Int128(general[figure]) * Int128(positive[person.userId]!)) / base)
                    remainder[figure] -= share[figure]
                }
                allocated[person.userId] = share
            }
        }
        allocated[0] = remainder
        var held: [Int64: Int] = [:]
        for users in inputs.holders.values { for user in Set(users) { held[user, default: 0] += 1 } }
        func row(_ person: KPIPerson) -> KPIRow {
            let own = direct[person.userId] ?? .zero
            let part = allocated[person.userId] ?? .zero
            var total = own
            total += part
            let marginKnown = (missing[person.userId] ?? []).isEmpty
            return KPIRow(
                userId: person.userId,
                login: person.login,
                name: person.name,
                articles: person.userId == 0 ? (articles[0]?.count ?? 0) : held[person.userId] ?? 0,
                direct: own,
                allocated: part,
                total: total,
                revenueShare: base > 0 ? Double(positive[person.userId] ?? 0) / Double(base) : 0,
                costsMissing: missing[person.userId] ?? [],
                buyoutRate: KPIMetric.buyoutRate.value(in: total, marginKnown: marginKnown),
                margin: KPIMetric.margin.value(in: total, marginKnown: marginKnown),
                score: nil,
                rank: nil,
                normalized: [:],
                targets: []
            )
        }
        var rows = people.map(row)
        let unassigned = row(KPIPerson(userId: 0, login: "", name: ""))
        Self.score(&rows, weights)
        for index in rows.indices {
            let goals = inputs.targets[rows[index].userId] ?? [:]
            rows[index].targets = goals.keys.sorted().map { name in
                let target = goals[name]!
                let value = KPIMetric(name: name)?.value(in: rows[index].total, marginKnown: rows[index].costsMissing.isEmpty)
                return KPITargetResult(metric: name, target: target, value: value, attainment: value.map { target == 0 ? 0 : $0 / target * 100 })
            }
        }
        return KPIMonthResult(month: inputs.month, rows: rows, unassigned: unassigned, totals: totals, articles: articles)
    }

    /// Scores and ranks `rows` in place, then orders them: ranked first, by rank, then the rest by login.
    static func score(_ rows: inout [KPIRow], _ weights: [(KPIMetric, Double, KPISettings.Direction)]) {
        let ranked = rows.indices.filter { rows[$0].articles > 0 }
        let weightSum = weights.reduce(0) { $0 + $1.1 }
        var scores = Dictionary(uniqueKeysWithValues: ranked.map { ($0, 0.0) })
        for (metric, weight, direction) in weights {
            let values = Dictionary(
                uniqueKeysWithValues: ranked.map { ($0, metric.value(in: rows[$0].total, marginKnown: rows[$0].costsMissing.isEmpty)) }
            )
            let present = values.values.compactMap { $0 }
            let low = present.min() ?? 0
            let high = present.max() ?? 0
            for index in ranked {
                let normalized: Double
                if let value = values[index]! {
                    normalized = high == low ? 1 : (direction == .higher ? (value - low) / (high - low) : (high - value) / (high - low))
                } else {
                    normalized = 0
                }
                rows[index].normalized[metric.name] = normalized
                scores[index]! += weight * normalized
            }
        }
        for index in ranked { rows[index].score = (scores[index]! * 100 / weightSum * 100).rounded() / 100 }
        let order = ranked.sorted { a, b in
            let (x, y) = (rows[a], rows[b])
            if x.score != y.score { return x.score! > y.score! }
            if x.total[.revenue] != y.total[.revenue] { return x.total[.revenue] > y.total[.revenue] }
            if x.total[.ordersSum] != y.total[.ordersSum] { return x.total[.ordersSum] > y.total[.ordersSum] }
            if x.login != y.login { return x.login < y.login }
            return x.userId < y.userId
        }
        for (position, index) in order.enumerated() { rows[index].rank = position + 1 }
        rows.sort { a, b in
            switch (a.rank, b.rank) {
            case (let x?, let y?): return x < y
            case (.some, nil): return true
            case (nil, .some): return false
            case (nil, nil): return (a.login, a.userId) < (b.login, b.userId)
            }
        }
    }
}
