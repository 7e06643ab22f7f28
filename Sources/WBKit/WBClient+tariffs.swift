import AsyncHTTPClient
import Foundation
import NIOCore

/// WB's acceptance coefficient of one warehouse, day and box type (`common-api /api/tariffs/v1/acceptance/coefficients`).
public struct WBAcceptanceCoefficient: Sendable, Equatable {
    /// The day (`2025-09-23T00:00:00Z` as WB sends it).
    public var date: String
    /// -1: acceptance unavailable; 0: free; n: the paid acceptance multiplier.
    public var coefficient: Int
    public var warehouseID: Int64
    public var warehouseName: String
    public var allowUnload: Bool
    /// 2 box, 5 monopallet, 6 supersafe.
    public var boxTypeID: Int
    /// WB's decimal strings (`"1.6"`, `"11,2"`), parsed; nil where WB sends null.
    public var storageCoef: Double?
    public var deliveryCoef: Double?
    public var deliveryBaseLiter: Double?
    public var deliveryAdditionalLiter: Double?
    public var storageBaseLiter: Double?
    public var storageAdditionalLiter: Double?
    public var isSortingCenter: Bool
}

/// WB's box tariffs of a day (`common-api /api/v1/tariffs/box?date=`).
public struct WBBoxTariffs: Sendable, Equatable {
    public struct Warehouse: Sendable, Equatable {
        public var warehouseName: String
        public var geoName: String?
        /// Rubles: delivery of the first liter and of each further liter, storage per day likewise (parsed strings).
        public var boxDeliveryBase: Double?
        public var boxDeliveryLiter: Double?
        public var boxStorageBase: Double?
        public var boxStorageLiter: Double?
    }
    public var dtNextBox: String?
    public var dtTillMax: String?
    public var warehouses: [Warehouse]
}

extension WBClient {
    /// `GET common-api /api/tariffs/v1/acceptance/coefficients[?warehouseIDs=…]`: the coming days' acceptance
    /// coefficients (all warehouses when `warehouseIDs` is empty).
    /// - Throws: ``WBError``; `malformedResponse` for a body that is not the documented list.
    public func acceptanceCoefficients(_ credentials: Credentials, warehouseIDs: [Int64] = []) async throws -> [WBAcceptanceCoefficient] {
        let query = warehouseIDs.isEmpty ? "" : "?warehouseIDs=" + warehouseIDs.map(String.init).joined(separator: ",")
        let page = try await send(.acceptance, credentials) {
            HTTPClientRequest(url: "\(configuration.commonURL)/api/tariffs/v1/acceptance/coefficients\(query)")
        }
        guard case .rows(let body) = page else { return [] }
        guard let items = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] else {
            throw WBError.malformedResponse("acceptance coefficients: not a JSON list of objects")
        }
        return try items.enumerated().map { index, item in
            guard let coefficient = WBNumber.integer(item["coefficient"]), let warehouse = WBNumber.integer(item["warehouseID"]) else {
                throw WBError.malformedResponse("acceptance coefficient \(index + 1): no coefficient or warehouseID")
            }
            return WBAcceptanceCoefficient(
                date: item["date"] as? String ?? "",
                coefficient: Int(coefficient),
                warehouseID: warehouse,
                warehouseName: item["warehouseName"] as? String ?? "",
                allowUnload: item["allowUnload"] as? Bool ?? false,
                boxTypeID: Int(WBNumber.integer(item["boxTypeID"]) ?? 0),
                storageCoef: WBNumber.decimal(item["storageCoef"]),
                deliveryCoef: WBNumber.decimal(item["deliveryCoef"]),
                deliveryBaseLiter: WBNumber.decimal(item["deliveryBaseLiter"]),
                deliveryAdditionalLiter: WBNumber.decimal(item["deliveryAdditionalLiter"]),
                storageBaseLiter: WBNumber.decimal(item["storageBaseLiter"]),
                storageAdditionalLiter: WBNumber.decimal(item["storageAdditionalLiter"]),
                isSortingCenter: item["isSortingCenter"] as? Bool ?? false
            )
        }
    }

    /// `GET common-api /api/v1/tariffs/box?date=YYYY-MM-DD`: box tariffs per warehouse (money strings with a decimal
    /// comma, parsed). Reads the documented `{warehouseList, dtNextBox, dtTillMax}`, also inside `response.data`.
    /// - Throws: ``WBError``; `malformedResponse` for a body without `warehouseList`.
    public func boxTariffs(_ credentials: Credentials, date: String) async throws -> WBBoxTariffs {
        let page = try await send(.tariffs, credentials, object: true) {
            HTTPClientRequest(url: "\(configuration.commonURL)/api/v1/tariffs/box?date=\(Self.encode(date))")
        }
        guard case .rows(let body) = page else { return WBBoxTariffs(warehouses: []) }
        var object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]
        if let data = (object?["response"] as? [String: Any])?["data"] as? [String: Any] { object = data }
        guard let object, let list = object["warehouseList"] as? [[String: Any]] else {
            throw WBError.malformedResponse("box tariffs: no warehouseList")
        }
        return WBBoxTariffs(
            dtNextBox: object["dtNextBox"] as? String,
            dtTillMax: object["dtTillMax"] as? String,
            warehouses: list.map { item in
                WBBoxTariffs.Warehouse(
                    warehouseName: item["warehouseName"] as? String ?? "",
                    geoName: item["geoName"] as? String,
                    boxDeliveryBase: WBNumber.decimal(item["boxDeliveryBase"]),
                    boxDeliveryLiter: WBNumber.decimal(item["boxDeliveryLiter"]),
                    boxStorageBase: WBNumber.decimal(item["boxStorageBase"]),
                    boxStorageLiter: WBNumber.decimal(item["boxStorageLiter"])
                )
            }
        )
    }
}

/// WB's numbers as they come: JSON numbers, or strings with a decimal comma or point (`"11,2"`, `"1.6"`, `"1 234,5"`).
public enum WBNumber {
    /// A decimal from a number or a numeric string; nil for null, `""`, `"-"` and anything else.
    public static func decimal(_ value: Any?) -> Double? {
        if let number = value as? NSNumber { return number.doubleValue.isFinite ? number.doubleValue : nil }
        guard let text = value as? String else { return nil }
        let cleaned = text.filter { !$0.isWhitespace && $0 != "\u{00A0}" }.replacingOccurrences(of: ",", with: ".")
        guard !cleaned.isEmpty, cleaned.filter({ $0 == "." }).count <= 1,
            cleaned.enumerated().allSatisfy({ index, c in c.isASCII && (c.isNumber || c == "." || (c == "-" && index == 0)) }),
            cleaned.contains(where: \.isNumber), let value = Double(cleaned)
        else { return nil }
        return value
    }

    /// A whole number from a number or a numeric string.
    public static func integer(_ value: Any?) -> Int64? {
        guard let decimal = decimal(value), decimal.rounded() == decimal, abs(decimal) < 9e15 else { return nil }
        return Int64(decimal)
    }
}
