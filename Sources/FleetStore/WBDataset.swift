/// The WB datasets the fleet syncs per seller account.
public enum WBDataset: String, Sendable, Codable, CaseIterable {
    /// Orders (`/api/v1/supplier/orders`), keyed by `srid`, paged by `lastChangeDate`.
    case orders
    /// Sales and returns (`/api/v1/supplier/sales`), keyed by `saleID`, paged by `lastChangeDate`.
    case sales
    /// Detailed realization report rows, keyed by `rrd_id`, re-read by window and paged by `rrd_id`.
    case report
}
