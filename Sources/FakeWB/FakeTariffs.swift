import Foundation

/// The fake's common-api tariffs, shaped like ../shared/wb/fixtures/acceptance_coefficients.json and WB-API.md §3:
/// three warehouses of the fixtures for the next 14 days — Коледино (507) free or cheap (0, 1, 0, 2, …), Казань
/// (117986) ×3 for boxes and monopallets, Электросталь (120762) unavailable (-1, no unloading, null tariffs) — and box
/// tariffs whose money is strings with a decimal comma.
enum FakeTariffs {
    struct Warehouse {
        let id: Int64
        let name: String
        let geo: String
        /// Box coefficients by day index, cycling; nil: unavailable.
        let coefficients: [Int]?
        let base: String
        let additional: String
        let storage: String
    }

    static let warehouses = [
        Warehouse(
            id: 507,
            name: "Коледино",
            geo: "Центральный федеральный округ",
            coefficients: [0, 1, 0, 2],
            base: "46",
            additional: "14",
            storage: "0,08"
        ),
        Warehouse(
            id: 117_986,
            name: "Казань",
            geo: "Приволжский федеральный округ",
            coefficients: [3],
            base: "48,3",
            additional: "14,7",
            storage: "0,1"
        ),
        Warehouse(
            id: 120_762,
            name: "Электросталь",
            geo: "Центральный федеральный округ",
            coefficients: nil,
            base: "46",
            additional: "14",
            storage: "0,08"
        ),
    ]

    /// The coefficients of the 14 days from `start` (UTC days), for `ids` (nil: all).
    static func coefficients(from start: Date, warehouses ids: Set<Int64>?) -> String {
        let day = 86_400.0
        let first = (start.timeIntervalSince1970 / day).rounded(.down) * day
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        var items: [String] = []
        for offset in 0..<14 {
            let date = formatter.string(from: Date(timeIntervalSince1970: first + Double(offset) * day))
            for warehouse in warehouses where ids?.contains(warehouse.id) ?? true {
                let boxTypes = warehouse.id == 117_986 ? [2, 5] : [2]
                for box in boxTypes {
                    if let cycle = warehouse.coefficients {
                        let coefficient = cycle[offset % cycle.count]
                        items.append(
                            #"{"date":"\#(date)","coefficient":\#(coefficient),"warehouseID":\#(warehouse.id),"warehouseName":"\#(warehouse.name)","allowUnload":true,"boxTypeID":\#(box),"storageCoef":"1.6","deliveryCoef":"1.6","deliveryBaseLiter":"\#(warehouse.base)","deliveryAdditionalLiter":"\#(warehouse.additional)","storageBaseLiter":"\#(warehouse.storage)","storageAdditionalLiter":"\#(warehouse.storage)","isSortingCenter":false}"#
                        )
                    } else {
                        items.append(
                            #"{"date":"\#(date)","coefficient":-1,"warehouseID":\#(warehouse.id),"warehouseName":"\#(warehouse.name)","allowUnload":false,"boxTypeID":\#(box),"storageCoef":null,"deliveryCoef":null,"deliveryBaseLiter":null,"deliveryAdditionalLiter":null,"storageBaseLiter":null,"storageAdditionalLiter":null,"isSortingCenter":false}"#
                        )
                    }
                }
            }
        }
        return "[" + items.joined(separator: ",") + "]"
    }

    /// Box tariffs of `date` (the same every day), as WB-API.md §3 documents them.
    static func boxTariffs(date: String) -> String {
        let list = warehouses.map { w in
            #"{"warehouseName":"\#(w.name)","geoName":"\#(w.geo)","boxDeliveryAndStorageExpr":"160","boxDeliveryBase":"\#(w.base)","boxDeliveryLiter":"\#(w.additional)","boxStorageBase":"\#(w.storage)","boxStorageLiter":"\#(w.storage)"}"#
        }
        return #"{"dtNextBox":"","dtTillMax":"\#(date)","warehouseList":[\#(list.joined(separator: ","))]}"#
    }
}
