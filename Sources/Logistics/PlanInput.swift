/// An article in one size: what is counted, packed and shipped.
public struct SKU: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var nmId: Int64
    /// WB's `techSize` (`44`, `XL`, `0` for one-size goods).
    public var size: String

    public init(nmId: Int64, size: String) {
        self.nmId = nmId
        self.size = size
    }

    public static func < (a: SKU, b: SKU) -> Bool { (a.nmId, a.size) < (b.nmId, b.size) }
    public var description: String { "\(nmId)/\(size)" }
}

/// How an article is packed: units per box, the box's volume, boxes per pallet.
public struct Packing: Sendable, Codable, Equatable {
    public var unitsPerBox: Int
    /// The box's volume in liters (what WB's per-liter tariffs multiply).
    public var boxLiters: Double
    /// Boxes on a pallet (nil: not shipped on pallets).
    public var boxesPerPallet: Int?

    public init(unitsPerBox: Int, boxLiters: Double, boxesPerPallet: Int? = nil) {
        self.unitsPerBox = unitsPerBox
        self.boxLiters = boxLiters
        self.boxesPerPallet = boxesPerPallet
    }
}

/// WB's acceptance of boxes at a warehouse on the planned date (`common-api /api/tariffs/v1/acceptance/coefficients`).
public struct Acceptance: Sendable, Codable, Equatable {
    /// -1: acceptance unavailable; 0: free; n: the paid acceptance multiplier.
    public var coefficient: Int
    /// Whether unloading is allowed that day.
    public var allowUnload: Bool
    /// Box logistics tariff: rubles for the first liter and for each further liter (WB's strings, parsed).
    public var deliveryBaseLiter: Double
    public var deliveryAdditionalLiter: Double

    public init(coefficient: Int, allowUnload: Bool, deliveryBaseLiter: Double = 0, deliveryAdditionalLiter: Double = 0) {
        self.coefficient = coefficient
        self.allowUnload = allowUnload
        self.deliveryBaseLiter = deliveryBaseLiter
        self.deliveryAdditionalLiter = deliveryAdditionalLiter
    }

    /// Whether WB takes boxes there that day.
    public var isAvailable: Bool { coefficient >= 0 && allowUnload }

    /// The acceptance fee estimate for one box of `liters`: `coefficient × (base + additional × (liters − 1))`
    /// (free at coefficient 0).
    public func costPerBox(liters: Double) -> Double {
        Double(max(coefficient, 0)) * (deliveryBaseLiter + deliveryAdditionalLiter * max(0, liters - 1))
    }
}

/// One WB warehouse as the planner sees it.
public struct WarehouseInput: Sendable, Codable, Equatable {
    public var id: Int64
    public var name: String
    /// Acceptance on the planned date (nil: WB published none for it, so nothing is planned there).
    public var acceptance: Acceptance?
    /// Days of sales the stock should cover once the shipment has arrived.
    public var coverDays: Double
    /// Days from the office to sale at this warehouse.
    public var leadTimeDays: Double
    /// Units at the warehouse now (available plus on the way to it).
    public var stock: [SKU: Int]
    /// Units sold per day here (from the synced orders of the lookback period).
    public var velocity: [SKU: Double]

    public init(
        id: Int64,
        name: String,
        acceptance: Acceptance?,
        coverDays: Double,
        leadTimeDays: Double,
        stock: [SKU: Int] = [:],
        velocity: [SKU: Double] = [:]
    ) {
        self.id = id
        self.name = name
        self.acceptance = acceptance
        self.coverDays = coverDays
        self.leadTimeDays = leadTimeDays
        self.stock = stock
        self.velocity = velocity
    }
}

/// What a plan is computed from.
public struct PlanInput: Sendable, Codable, Equatable {
    /// Units at the office, per article and size: never more than this is shipped.
    public var office: [SKU: Int]
    /// Packing per nmId.
    public var packing: [Int64: Packing]
    public var warehouses: [WarehouseInput]

    public init(office: [SKU: Int], packing: [Int64: Packing], warehouses: [WarehouseInput]) {
        self.office = office
        self.packing = packing
        self.warehouses = warehouses
    }
}
