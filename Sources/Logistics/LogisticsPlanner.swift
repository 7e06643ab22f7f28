import Foundation

/// Plans what to ship from the office to WB's warehouses. Pure: the inputs in, a plan out (docs/logistics.md).
///
/// For each article/size and warehouse the **need** is what sells there until a shipment sent now has arrived and
/// then for the warehouse's days of cover, less what is there: `⌈velocity × (leadTime + coverDays)⌉ − stock`
/// (0 when nothing sells). A warehouse that takes no boxes on the planned date (coefficient -1, unloading not
/// allowed, or no coefficient published) gets nothing; its need is listed as unserved.
///
/// The office's units go out in whole boxes: a warehouse receives boxes until its need is met, so it never gets more
/// than one box beyond its need, and never more than the office has (the last box may then be partial). When the
/// office cannot serve every need, cheaper acceptance goes first — free (0) before multiplier 1 before 2 … — and
/// among warehouses of one price, each next box goes to the one whose stock would last the fewest days on arrival
/// (then the smaller warehouse id), so scarce stock is spread to where it runs out first.
public struct LogisticsPlanner: Sendable {
    public init() {}

    public func plan(_ input: PlanInput) -> Plan {
        var lines: [PlanLine] = []
        var unserved: [Unserved] = []
        var officeLeft = input.office
        let skus = Set(input.warehouses.flatMap { $0.velocity.keys }).union(input.office.keys).sorted()
        for sku in skus {
            var candidates: [Candidate] = []
            for warehouse in input.warehouses {
                let need = Self.need(warehouse, sku)
                guard need > 0 else { continue }
                guard let acceptance = warehouse.acceptance, acceptance.isAvailable else {
                    unserved.append(
                        .init(warehouseID: warehouse.id, warehouse: warehouse.name, sku: sku, need: need, shipped: 0, reason: .acceptanceUnavailable)
                    )
                    continue
                }
                guard let packing = input.packing[sku.nmId], packing.unitsPerBox > 0 else {
                    unserved.append(.init(warehouseID: warehouse.id, warehouse: warehouse.name, sku: sku, need: need, shipped: 0, reason: .noPacking))
                    continue
                }
                candidates.append(Candidate(warehouse: warehouse, acceptance: acceptance, packing: packing, need: need))
            }
            guard !candidates.isEmpty else { continue }
            var left = officeLeft[sku] ?? 0
            // Cheapest acceptance first; within one price, water-filling by days of cover on arrival.
            for coefficient in Set(candidates.map(\.acceptance.coefficient)).sorted() {
                let tier = candidates.indices.filter { candidates[$0].acceptance.coefficient == coefficient }
                while left > 0 {
                    let open = tier.filter { candidates[$0].shipped < candidates[$0].need }
                    guard
                        let next = open.min(by: {
                            let (a, b) = (candidates[$0], candidates[$1])
                            return (a.coverOnArrival(sku), a.warehouse.id) < (b.coverOnArrival(sku), b.warehouse.id)
                        })
                    else { break }
                    let box = min(candidates[next].packing.unitsPerBox, left)
                    candidates[next].shipped += box
                    candidates[next].boxes += 1
                    left -= box
                }
            }
            officeLeft[sku] = left
            for candidate in candidates.sorted(by: { $0.warehouse.id < $1.warehouse.id }) {
                if candidate.shipped > 0 { lines.append(candidate.line(sku)) }
                if candidate.shipped < candidate.need {
                    unserved.append(
                        .init(
                            warehouseID: candidate.warehouse.id,
                            warehouse: candidate.warehouse.name,
                            sku: sku,
                            need: candidate.need,
                            shipped: candidate.shipped,
                            reason: .noOfficeStock
                        )
                    )
                }
            }
        }
        return Plan(lines: lines, unserved: unserved, officeLeft: officeLeft, costEstimate: lines.reduce(0) { $0 + $1.costEstimate })
    }

    /// Units `warehouse` needs of `sku` (see the type's documentation).
    static func need(_ warehouse: WarehouseInput, _ sku: SKU) -> Int {
        let velocity = warehouse.velocity[sku] ?? 0
        guard velocity > 0, velocity.isFinite else { return 0 }
        let wanted = (velocity * (max(0, warehouse.leadTimeDays) + max(0, warehouse.coverDays)) - 1e-9).rounded(.up)
        return max(0, Int(wanted) - (warehouse.stock[sku] ?? 0))
    }

    struct Candidate {
        let warehouse: WarehouseInput
        let acceptance: Acceptance
        let packing: Packing
        let need: Int
        var shipped = 0
        var boxes = 0

        /// Days the stock plus what is planned lasts once a shipment has arrived (what sells meanwhile is gone).
        func coverOnArrival(_ sku: SKU, extra: Int? = nil) -> Double {
            let velocity = warehouse.velocity[sku] ?? 0
            let stock = Double((warehouse.stock[sku] ?? 0) + (extra ?? shipped)) - velocity * max(0, warehouse.leadTimeDays)
            return max(0, stock) / velocity
        }

        func line(_ sku: SKU) -> PlanLine {
            let before = coverOnArrival(sku, extra: 0)
            let after = coverOnArrival(sku)
            let cost = acceptance.costPerBox(liters: packing.boxLiters) * Double(boxes)
            let pallets = packing.boxesPerPallet.map { ($0 > 0 ? (boxes + $0 - 1) / $0 : 0) }
            let price = acceptance.coefficient == 0 ? "free acceptance" : "acceptance ×\(acceptance.coefficient)"
            let short = shipped < need ? "; the office had \(shipped) of the \(need) needed" : ""
            let explanation =
                "\(warehouse.name) sells \(Self.format(warehouse.velocity[sku] ?? 0))/day and holds \(warehouse.stock[sku] ?? 0): "
                + "\(need) units cover \(Self.format(warehouse.coverDays)) days after \(Self.format(warehouse.leadTimeDays)) days on the way; "
                + "\(boxes) box(es) of \(packing.unitsPerBox), \(price)\(short)"
            return PlanLine(
                warehouseID: warehouse.id,
                warehouse: warehouse.name,
                sku: sku,
                units: shipped,
                boxes: boxes,
                pallets: pallets,
                need: need,
                coverBefore: before,
                coverAfter: after,
                acceptanceCoefficient: acceptance.coefficient,
                costEstimate: cost,
                explanation: explanation
            )
        }

        static func format(_ value: Double) -> String {
            value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value)
        }
    }
}
