/// A recommended shipment: per warehouse and article/size, in units and boxes, with why.
public struct Plan: Sendable, Codable, Equatable {
    public var lines: [PlanLine]
    /// Needs the plan could not serve, and why (acceptance unavailable, no packing, no office stock left).
    public var unserved: [Unserved]
    /// Office units left after the plan, per article and size.
    public var officeLeft: [SKU: Int]
    /// The sum of the lines' acceptance fee estimates (₽).
    public var costEstimate: Double
}

/// One line of a plan.
public struct PlanLine: Sendable, Codable, Equatable {
    public var warehouseID: Int64
    public var warehouse: String
    public var sku: SKU
    public var units: Int
    /// Boxes, the last one possibly partial when the office runs out.
    public var boxes: Int
    /// Pallets for the boxes (nil when the article is not shipped on pallets).
    public var pallets: Int?
    /// What the warehouse needed: units to cover `coverDays` after `leadTimeDays`.
    public var need: Int
    /// Days the stock covers when a shipment would arrive, without it and with it (nil: nothing sells there).
    public var coverBefore: Double?
    public var coverAfter: Double?
    public var acceptanceCoefficient: Int
    /// The acceptance fee estimate for the line's boxes (₽).
    public var costEstimate: Double
    /// Why this line is what it is, in English (the UI shows its own text from the fields above).
    public var explanation: String
}

/// A warehouse's need for an article that the plan leaves unserved.
public struct Unserved: Sendable, Codable, Equatable {
    public enum Reason: String, Sendable, Codable {
        /// WB takes no boxes there on the planned date (coefficient -1, unloading not allowed, or no coefficient).
        case acceptanceUnavailable
        /// The office has no (more) units of it.
        case noOfficeStock
        /// No packing is known for the article.
        case noPacking
    }
    public var warehouseID: Int64
    public var warehouse: String
    public var sku: SKU
    public var need: Int
    /// Units of the need the plan did serve (0 unless the office ran out part way).
    public var shipped: Int
    public var reason: Reason

    public init(warehouseID: Int64, warehouse: String, sku: SKU, need: Int, shipped: Int, reason: Reason) {
        self.warehouseID = warehouseID
        self.warehouse = warehouse
        self.sku = sku
        self.need = need
        self.shipped = shipped
        self.reason = reason
    }
}
