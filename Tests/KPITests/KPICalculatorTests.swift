import Assignments
import FleetCore
import KPI
import Testing

@Suite("KPI calculator")
struct KPICalculatorTests {
    static let month = AssignmentMonth(year: 2026, month: 10)!

    static func figures(_ values: [KPIFigure: Double]) -> KPIFigures {
        var figures = KPIFigures.zero
        for (figure, value) in values { figures[figure] = Int64((value * Double(KPIFigures.scale)).rounded()) }
        return figures
    }

    static func people(_ ids: [Int64]) -> [KPIPerson] { ids.map { KPIPerson(userId: $0, login: "user\($0)", name: "User \($0)") } }

    @Test("a split adds up and gives the indivisible units to the first holders, for negative values too")
    func split() {
        #expect(KPICalculator.split(10, into: 3) == [4, 3, 3])
        #expect(KPICalculator.split(-10, into: 3) == [-4, -3, -3])
        #expect(KPICalculator.split(9, into: 3) == [3, 3, 3])
        #expect(KPICalculator.split(2, into: 4) == [1, 1, 0, 0])
        #expect(KPICalculator.split(7, into: 1) == [7])
    }

    @Test("equal managers rank by revenue, then orders sum, then login: deterministic")
    func ties() throws {
        let settings = KPISettings(weights: [.init(metric: "ordersSum", weight: 1, direction: .higher)])
        let inputs = KPICalculator.Inputs(
            month: Self.month,
            facts: [
                1: Self.figures([.ordersSum: 100, .revenue: 10]), 2: Self.figures([.ordersSum: 100, .revenue: 20]),
                3: Self.figures([.ordersSum: 100, .revenue: 20]),
            ],
            holders: [1: [10], 2: [11], 3: [12]],
            people: [
                KPIPerson(userId: 10, login: "aa", name: "A"), KPIPerson(userId: 11, login: "zz", name: "Z"),
                KPIPerson(userId: 12, login: "mm", name: "M"),
            ],
            settings: settings
        )
        let result = try KPICalculator().compute(inputs)
        #expect(result.rows.map(\.score) == [100, 100, 100], "every value equal: full marks")
        #expect(result.rows.map(\.login) == ["mm", "zz", "aa"], "revenue 20 before 10; between equal revenue, the lower login")
        #expect(result.rows.map(\.rank) == [1, 2, 3])
        // Same again: the order does not depend on the input order.
        var shuffled = inputs
        shuffled.people.reverse()
        #expect(try KPICalculator().compute(shuffled).rows.map(\.userId) == result.rows.map(\.userId))
    }

    @Test("a manager without articles is listed with zeros and no rank; an empty month has zero totals and no ranks")
    func emptyAndIdle() throws {
        let busy = try KPICalculator().compute(
            .init(month: Self.month, facts: [5: Self.figures([.revenue: 50])], holders: [5: [1]], people: Self.people([1, 2]))
        )
        let idle = try #require(busy.rows.first { $0.userId == 2 })
        #expect(idle.articles == 0 && idle.rank == nil && idle.score == nil && idle.total.isZero)
        #expect(busy.rows.first?.userId == 1 && busy.rows.first?.rank == 1)
        let empty = try KPICalculator().compute(.init(month: Self.month, facts: [:], holders: [:], people: Self.people([1, 2])))
        #expect(empty.totals.isZero && empty.unassigned.total.isZero)
        #expect(empty.rows.allSatisfy { $0.rank == nil && $0.total.isZero })
    }

    @Test("rows without an article stay unassigned when the month has no positive revenue")
    func noRevenueKeepsGeneralUnassigned() throws {
        let result = try KPICalculator().compute(
            .init(
                month: Self.month,
                facts: [0: Self.figures([.storage: 99.99]), 7: Self.figures([.revenue: -10])],
                holders: [7: [1]],
                people: Self.people([1])
            )
        )
        #expect(result.unassigned.allocated[.storage] == 999_900)
        #expect(result.rows[0].allocated.isZero)
    }

    @Test("unknown metrics and bad weights are refused with what to use")
    func badSettings() {
        let inputs = KPICalculator.Inputs(
            month: Self.month,
            facts: [:],
            holders: [:],
            people: [],
            settings: KPISettings(weights: [.init(metric: "profit", weight: 1, direction: .higher)])
        )
        #expect { try KPICalculator().compute(inputs) } throws: { ($0 as? KPIError)?.message.contains("use one of") == true }
        #expect(throws: KPIError.self) { try KPISettings(weights: [.init(metric: "revenue", weight: 0, direction: .higher)]).validated() }
        #expect(throws: KPIError.self) { try KPISettings(weights: []).validated() }
        #expect(throws: KPIError.self) {
            try KPISettings(weights: [
                .init(metric: "revenue", weight: 1, direction: .higher), .init(metric: "revenue", weight: 2, direction: .lower),
            ]).validated()
        }
    }

    @Test("over generated months, managers plus the unassigned remainder equal the account's totals, figure by figure")
    func sumsEqualTotals() throws {
        var random = SplitMix64(seed: 20_261_203)
        for round in 0..<300 {
            let managers = (1...Int64(1 + random.next() % 8)).map { $0 }
            var facts: [Int64: KPIFigures] = [:]
            var holders: [Int64: [Int64]] = [:]
            let articles = Int(random.next() % 40)
            for index in 0..<articles {
                let nm = Int64(1000 + index)
                var figures = KPIFigures.zero
                for figure in KPIFigure.summed { figures[figure] = Int64(random.next() % 20_000_000) - 5_000_000 }
                facts[nm] = figures
                switch random.next() % 4 {
                case 0: break  // unassigned
                case 1:
                    holders[nm] = Array(Set((0..<(1 + random.next() % 3)).map { _ in managers[Int(random.next() % UInt64(managers.count))] }))
                        .sorted()
                default: holders[nm] = [managers[Int(random.next() % UInt64(managers.count))]]
                }
            }
            if random.next() % 3 != 0 {
                var general = KPIFigures.zero
                for figure in [KPIFigure.storage, .penalties, .deductions, .acceptance, .logistics] {
                    general[figure] = Int64(random.next() % 9_999_999)
                }
                facts[0] = general
            }
            let costs = Dictionary(
                uniqueKeysWithValues: facts.keys.filter { $0 != 0 && random.next() % 2 == 0 }.map { ($0, Int64(random.next() % 5_000_000)) }
            )
            let result = try KPICalculator().compute(
                .init(month: Self.month, facts: facts, holders: holders, people: Self.people(managers), costPrices: costs)
            )
            var sum = result.unassigned.total
            for row in result.rows { sum += row.total }
            #expect(sum == result.totals, "round \(round)")
            var allocated = result.unassigned.allocated
            for row in result.rows { allocated += row.allocated }
            var general = facts[0] ?? .zero
            general[.costOfGoods] = 0
            #expect(allocated == general, "round \(round): the rows without an article are allocated whole")
            let ranks = result.rows.compactMap(\.rank)
            #expect(ranks == Array(stride(from: 1, through: ranks.count, by: 1)), "round \(round): ranks 1…n in order")
            #expect(result.rows.allSatisfy { ($0.rank == nil) == ($0.articles == 0) })
            for row in result.rows where row.rank != nil { #expect((0...100).contains(row.score!)) }
        }
    }
}
