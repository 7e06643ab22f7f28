import FleetCore
import Testing

/// The one backoff every retry loop uses.
@Suite("Backoff")
struct BackoffTests {
    @Test("doubles from the base, stops at the cap, never overflows")
    func doublingAndCap() {
        let plain = Backoff(base: .milliseconds(100), cap: .seconds(2))
        #expect((1...7).map { plain.delayMs(afterFailures: $0) } == [100, 200, 400, 800, 1600, 2000, 2000])
        #expect(plain.delayMs(afterFailures: 0) == 100 && plain.delayMs(afterFailures: 10_000) == 2000)
        let huge = Backoff(base: .seconds(86_400), cap: .seconds(7 * 86_400))
        #expect(huge.delayMs(afterFailures: 60) == 7 * 86_400_000)
    }

    @Test("equal jitter stays between half and all of the delay; spread within its fraction")
    func jitterBounds() {
        let equal = Backoff(base: .milliseconds(1000), cap: .seconds(60), jitter: .equal)
        let spread = Backoff(base: .milliseconds(1000), cap: .seconds(60), jitter: .spread(0.25))
        for _ in 0..<500 {
            #expect((2000...4000).contains(equal.delayMs(afterFailures: 3)))
            #expect((3000...5000).contains(spread.delayMs(afterFailures: 3)))
        }
        let values = Set((0..<200).map { _ in equal.delayMs(afterFailures: 3) })
        #expect(values.count > 20, "jitter spreads the delays")
    }
}
