import FakeWB
import FleetCore
import Foundation
import Testing
import WBKit
import Workers

/// The pieces of the WB client that need no server: token check, limits, configuration, MSK time.
@Suite struct WBClientUnitTests {
    @Test func tokensAreDecodedLocallyAndCheckedForExpiryAndScope() throws {
        let tokens = FakeWBTokens(secret: "x")
        let token = try WBToken(tokens.mint(sid: "s-1", scope: FakeWBTokens.statistics, kind: 1))
        #expect(token.sellerID == "s-1" && token.kind == .base && token.scope.contains(.statistics) && !token.scope.contains(.finance))
        #expect(token.problem(for: .statistics, categoryName: "Statistics") == nil)
        #expect(token.problem(for: .finance, categoryName: "Finance")?.contains("token scope not allowed") == true)
        let expired = try WBToken("Bearer " + tokens.mint(sid: "s", expires: Date().addingTimeInterval(-5)))
        #expect(expired.problem(for: .statistics, categoryName: "Statistics")?.hasPrefix("token expired") == true)
        for bad in ["", "abc", "a.b", "a.!!!.c", "a.\(Data("{}".utf8).base64EncodedString()).c"] {
            #expect(throws: WBError.self, "\(bad)") { _ = try WBToken(bad) }
        }
    }

    @Test func limitsFollowTheTokenTypeUnlessOverridden() throws {
        let defaults = WBRateLimits()
        #expect(defaults.limit(for: .orders, kind: .personal) == .init(1, per: .seconds(60), burst: 10))
        #expect(defaults.limit(for: .orders, kind: .base) == .init(1, per: .seconds(3 * 3600)))
        #expect(defaults.limit(for: .finance, kind: .base) == .init(2, per: .seconds(86_400)))
        let overridden = try WBRateLimits(parsing: "orders=5/1s:3, report=2/1m")
        #expect(overridden.limit(for: .orders, kind: .base) == .init(5, per: .seconds(1), burst: 3))
        #expect(overridden.limit(for: .report, kind: nil) == .init(2, per: .seconds(60)))
        for bad in ["orders", "stocks=1/1m", "orders=0/1m", "orders=1/xyz", "orders=1/1m:0", "orders=1/1m:2:3"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { _ = try WBRateLimits(parsing: bad) }
        }
    }

    @Test func configurationFromTheEnvironmentRefusesBadValues() throws {
        let configuration = try WBClient.Configuration(
            environment: EnvironmentReader(values: ["WB_STATISTICS_URL": "http://127.0.0.1:9/", "WB_MAX_RETRIES": "2"])
        )
        #expect(configuration.statisticsURL == "http://127.0.0.1:9" && configuration.maxRetries == 2)
        #expect(configuration.financeURL == "https://finance-api.wildberries.ru")
        for (name, value) in [
            ("WB_STATISTICS_URL", "ftp://x"), ("WB_MAX_RETRIES", "many"), ("WB_REPORT_PAGE_LIMIT", "200000"), ("WB_REQUEST_TIMEOUT", "soon"),
        ] {
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") {
                _ = try WBClient.Configuration(environment: EnvironmentReader(values: [name: value]))
            }
        }
        #expect(throws: ConfigurationError.self) { _ = try FakeWBConfiguration(environment: EnvironmentReader(values: ["FAKE_WB_FAULTS": "500=2"])) }
    }

    @Test func moscowTimeHasNoOffsetAndNoDaylightSaving() {
        let instant = Date(timeIntervalSince1970: 1_782_820_800)  // 2026-06-30T12:00:00Z
        #expect(MoscowTime.dateTime(instant) == "2026-06-30T15:00:00")
        #expect(MoscowTime.day(Date(timeIntervalSince1970: 1_767_214_800)) == "2026-01-01")  // 2025-12-31T21:00Z
        #expect(MoscowTime.parseDay("2026-01-01") == Date(timeIntervalSince1970: 1_767_214_800))
        #expect(MoscowTime.parseDay("01.01.2026") == nil)
    }
}
