import FakeWB
import FleetCore
import FleetTesting
import Foundation
import Queue
import Testing
import WBKit

/// The common-api tariffs the logistics planner reads, from the fake as WB documents them (WB-API.md §3): acceptance
/// coefficients (-1 unavailable, 0 free, n multiplier; money as strings) and box tariffs (strings with a decimal comma).
@Suite("WB tariffs")
struct WBTariffsTests {
    @Test("acceptance coefficients parse: free, paid and unavailable warehouses; decimal strings; a warehouse filter")
    func coefficients() async throws {
        try await withFakeWB { fake, url in
            try await TestRedis.withClient { redis in
                let client = WBClient(
                    configuration: .init(statisticsURL: url, financeURL: url, commonURL: url, maxRetries: 1, retryBackoff: .milliseconds(20)),
                    limiter: RateLimiter(redis: redis, prefix: TestRedis.uniquePrefix()),
                    logger: TestRedis.logger
                )
                let raw = fake.token(seller: 1)
                let credentials = WBClient.Credentials(raw: raw, claims: try WBToken(raw))
                let all = try await client.acceptanceCoefficients(credentials)
                #expect(Set(all.map(\.warehouseID)) == [507, 117_986, 120_762])
                let koledino = try #require(all.first { $0.warehouseID == 507 })
                #expect(koledino.coefficient == 0 && koledino.allowUnload && koledino.boxTypeID == 2)
                #expect(koledino.deliveryBaseLiter == 46 && koledino.deliveryAdditionalLiter == 14 && koledino.storageBaseLiter == 0.08)
                let kazan = try #require(all.first { $0.warehouseID == 117_986 && $0.boxTypeID == 2 })
                #expect(kazan.coefficient == 3 && kazan.deliveryBaseLiter == 48.3 && kazan.deliveryAdditionalLiter == 14.7)
                let closed = try #require(all.first { $0.warehouseID == 120_762 })
                #expect(closed.coefficient == -1 && !closed.allowUnload && closed.deliveryBaseLiter == nil)
                #expect(all.filter { $0.warehouseID == 507 }.map(\.coefficient).prefix(4) == [0, 1, 0, 2])
                let one = try await client.acceptanceCoefficients(credentials, warehouseIDs: [507])
                #expect(!one.isEmpty && one.allSatisfy { $0.warehouseID == 507 })

                let tariffs = try await client.boxTariffs(credentials, date: "2026-12-07")
                #expect(tariffs.dtTillMax == "2026-12-07")
                let box = try #require(tariffs.warehouses.first { $0.warehouseName == "Казань" })
                #expect(box.boxDeliveryBase == 48.3 && box.boxStorageBase == 0.1)

                // No token: WB's 401, as a typed error.
                let forged = WBClient.Credentials(raw: raw + "x", claims: try WBToken(raw))
                await #expect(throws: WBError.self) { _ = try await client.acceptanceCoefficients(forged) }
            }
        }
    }

    @Test("WB's numbers: numbers, strings with a comma or point, and refusals")
    func numbers() {
        #expect(WBNumber.decimal("11,2") == 11.2 && WBNumber.decimal("1.6") == 1.6 && WBNumber.decimal(46) == 46)
        #expect(WBNumber.decimal("1 234,5") == 1234.5 && WBNumber.decimal("-0,5") == -0.5)
        for bad: Any? in [nil, NSNull(), "", "-", "1,2,3", "abc", "1.2.3", "12a"] {
            #expect(WBNumber.decimal(bad) == nil, "\(String(describing: bad))")
        }
        #expect(WBNumber.integer("507") == 507 && WBNumber.integer(3) == 3 && WBNumber.integer("1,5") == nil)
    }
}
