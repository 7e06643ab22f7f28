import Logistics
import Testing

/// The planner on fixtures whose best answers are worked out by hand (docs/logistics.md), and its promises over
/// generated data.
@Suite("Logistics planner")
struct LogisticsPlannerTests {
    static let dress = SKU(nmId: 178_231_456, size: "44")
    static let packing: [Int64: Packing] = [178_231_456: Packing(unitsPerBox: 10, boxLiters: 20, boxesPerPallet: 8)]
    static let free = Acceptance(coefficient: 0, allowUnload: true, deliveryBaseLiter: 46, deliveryAdditionalLiter: 14)
    static let paid = Acceptance(coefficient: 3, allowUnload: true, deliveryBaseLiter: 46, deliveryAdditionalLiter: 14)
    static let closed = Acceptance(coefficient: -1, allowUnload: false)

    static func warehouses() -> [WarehouseInput] {
        [
            WarehouseInput(id: 507, name: "Коледино", acceptance: free, coverDays: 14, leadTimeDays: 3, stock: [dress: 10], velocity: [dress: 2]),
            WarehouseInput(id: 117_986, name: "Казань", acceptance: paid, coverDays: 14, leadTimeDays: 5, stock: [dress: 4], velocity: [dress: 1]),
            WarehouseInput(id: 120_762, name: "Электросталь", acceptance: closed, coverDays: 14, leadTimeDays: 5, velocity: [dress: 3]),
        ]
    }

    @Test("enough at the office: every open warehouse gets its need in whole boxes; the closed one nothing")
    func enoughStock() {
        let plan = LogisticsPlanner().plan(PlanInput(office: [Self.dress: 100], packing: Self.packing, warehouses: Self.warehouses()))
        // Коледино: ⌈2 × (3 + 14)⌉ − 10 = 24 → 3 boxes; Казань: 19 − 4 = 15 → 2 boxes at ×3.
        #expect(plan.lines.map { "\($0.warehouseID) \($0.units) \($0.boxes) \($0.need)" } == ["507 30 3 24", "117986 20 2 15"])
        #expect(plan.lines.map(\.pallets) == [1, 1])
        #expect(plan.lines[0].coverBefore == 2 && plan.lines[0].coverAfter == 17)
        #expect(plan.lines[1].coverBefore == 0 && plan.lines[1].coverAfter == 19)
        // 3 × (46 + 14 × 19) per box at Казань, free at Коледино.
        #expect(plan.lines.map(\.costEstimate) == [0, 1872] && plan.costEstimate == 1872)
        #expect(
            plan.unserved == [
                Unserved(warehouseID: 120_762, warehouse: "Электросталь", sku: Self.dress, need: 57, shipped: 0, reason: .acceptanceUnavailable)
            ]
        )
        #expect(plan.officeLeft[Self.dress] == 50)
        #expect(plan.lines[0].explanation.contains("free acceptance") && plan.lines[1].explanation.contains("×3"))
    }

    @Test("scarce: free acceptance is served first, the last box is partial, the rest is listed unserved")
    func scarceStock() {
        let plan = LogisticsPlanner().plan(PlanInput(office: [Self.dress: 25], packing: Self.packing, warehouses: Self.warehouses()))
        #expect(plan.lines.map { "\($0.warehouseID) \($0.units) \($0.boxes)" } == ["507 25 3"])
        #expect(plan.officeLeft[Self.dress] == 0)
        #expect(
            plan.unserved.map { "\($0.warehouseID) \($0.reason.rawValue) \($0.shipped)/\($0.need)" }.sorted() == [
                "117986 noOfficeStock 0/15", "120762 acceptanceUnavailable 0/57",
            ]
        )
    }

    @Test("one price: each next box goes where the stock runs out first")
    func waterFilling() {
        let a = WarehouseInput(
            id: 1,
            name: "A",
            acceptance: Self.free,
            coverDays: 30,
            leadTimeDays: 0,
            stock: [Self.dress: 5],
            velocity: [Self.dress: 1]
        )
        let b = WarehouseInput(id: 2, name: "B", acceptance: Self.free, coverDays: 30, leadTimeDays: 0, velocity: [Self.dress: 2])
        let plan = LogisticsPlanner().plan(PlanInput(office: [Self.dress: 30], packing: Self.packing, warehouses: [a, b]))
        // B (0 days) gets a box → 5 days; A and B tie at 5 → A (lower id) → 15; B → 10 days.
        #expect(plan.lines.map { "\($0.warehouse) \($0.units)" } == ["A 10", "B 20"])
        #expect(plan.lines.map(\.coverAfter) == [15, 10])
    }

    @Test("nothing sold, nothing shipped; no packing known, listed as such")
    func edges() {
        let other = SKU(nmId: 209_455_871, size: "0")
        let w = WarehouseInput(
            id: 1,
            name: "A",
            acceptance: Self.free,
            coverDays: 30,
            leadTimeDays: 2,
            stock: [Self.dress: 0],
            velocity: [Self.dress: 0, other: 1]
        )
        let plan = LogisticsPlanner().plan(PlanInput(office: [Self.dress: 50, other: 50], packing: Self.packing, warehouses: [w]))
        #expect(plan.lines.isEmpty)
        #expect(plan.unserved.map(\.reason) == [.noPacking] && plan.unserved.first?.sku == other && plan.unserved.first?.need == 32)
        #expect(plan.officeLeft == [Self.dress: 50, other: 50])
    }

    /// A small deterministic generator (xorshift), so a failing case can be replayed by its seed.
    struct Generator {
        var state: UInt64
        mutating func next(_ range: ClosedRange<Int>) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return range.lowerBound + Int(state % UInt64(range.count))
        }
    }

    @Test("over generated data: never more than the office, nothing to closed warehouses, at most one box beyond a need, cheaper first")
    func properties() {
        for seed in UInt64(1)...300 {
            var g = Generator(state: seed &* 0x9E37_79B9_7F4A_7C15 | 1)
            let skus = (0..<g.next(1...4)).map { SKU(nmId: Int64(1000 + $0), size: ["0", "S", "M"][g.next(0...2)]) }
            var packing: [Int64: Packing] = [:]
            for sku in skus where g.next(0...9) > 0 { packing[sku.nmId] = Packing(unitsPerBox: g.next(1...24), boxLiters: Double(g.next(5...90))) }
            let office = Dictionary(skus.map { ($0, g.next(0...400)) }, uniquingKeysWith: { a, _ in a })
            let warehouses = (0..<g.next(1...6)).map { index -> WarehouseInput in
                let coefficient = g.next(-1...4)
                let acceptance =
                    g.next(0...9) == 0
                    ? nil : Acceptance(coefficient: coefficient, allowUnload: g.next(0...9) > 0, deliveryBaseLiter: 46, deliveryAdditionalLiter: 14)
                var stock: [SKU: Int] = [:]
                var velocity: [SKU: Double] = [:]
                for sku in skus {
                    stock[sku] = g.next(0...60)
                    velocity[sku] = Double(g.next(0...80)) / 10
                }
                return WarehouseInput(
                    id: Int64(index + 1),
                    name: "W\(index + 1)",
                    acceptance: acceptance,
                    coverDays: Double(g.next(0...45)),
                    leadTimeDays: Double(g.next(0...10)),
                    stock: stock,
                    velocity: velocity
                )
            }
            let plan = LogisticsPlanner().plan(PlanInput(office: office, packing: packing, warehouses: warehouses))
            let byID = Dictionary(uniqueKeysWithValues: warehouses.map { ($0.id, $0) })
            for sku in skus {
                let shipped = plan.lines.filter { $0.sku == sku }.reduce(0) { $0 + $1.units }
                #expect(shipped <= office[sku] ?? 0, "seed \(seed): \(sku) ships \(shipped) of \(office[sku] ?? 0)")
                #expect(plan.officeLeft[sku] == (office[sku] ?? 0) - shipped, "seed \(seed)")
            }
            for line in plan.lines {
                let warehouse = byID[line.warehouseID]!
                #expect(warehouse.acceptance?.isAvailable == true, "seed \(seed): a closed warehouse got \(line.units)")
                let box = packing[line.sku.nmId]!.unitsPerBox
                #expect(line.units - line.need < box, "seed \(seed): \(line.units) for a need of \(line.need), box \(box)")
                #expect(line.boxes == (line.units + box - 1) / box, "seed \(seed)")
            }
            // A dearer warehouse got units only if every cheaper one's need was met.
            for line in plan.lines {
                let cheaperShort = plan.unserved.contains {
                    $0.sku == line.sku && $0.reason == .noOfficeStock
                        && (byID[$0.warehouseID]!.acceptance!.coefficient) < line.acceptanceCoefficient
                }
                #expect(!cheaperShort, "seed \(seed): \(line.warehouse) (×\(line.acceptanceCoefficient)) served before a cheaper warehouse")
            }
            // With enough at the office, every open need is met.
            for sku in skus {
                guard let box = packing[sku.nmId]?.unitsPerBox else { continue }
                let boxed = warehouses.filter { $0.acceptance?.isAvailable == true }.map { warehouse -> Int in
                    let velocity = warehouse.velocity[sku] ?? 0
                    guard velocity > 0 else { return 0 }
                    let need = max(
                        0,
                        Int((velocity * (warehouse.leadTimeDays + warehouse.coverDays) - 1e-9).rounded(.up)) - (warehouse.stock[sku] ?? 0)
                    )
                    return (need + box - 1) / box * box
                }.reduce(0, +)
                if boxed <= office[sku] ?? 0 {
                    #expect(
                        !plan.unserved.contains { $0.sku == sku && $0.reason == .noOfficeStock },
                        "seed \(seed): \(sku) left short with enough stock"
                    )
                }
            }
        }
    }
}
