/// Capped exponential backoff with jitter: the one way every retry loop of the fleet waits (Redis reconnects and
/// subscriptions, worker loops, PostgreSQL start-up, job retries, WB requests).
///
/// ```swift
/// let backoff = Backoff(base: .milliseconds(100), cap: .seconds(2))
/// try await Task.sleep(for: backoff.delay(afterFailures: failures))
/// ```
public struct Backoff: Sendable, Equatable {
    /// How the computed delay is spread, so many clients do not retry in step.
    public enum Jitter: Sendable, Equatable {
        /// The delay as computed.
        case none
        /// Half of it fixed, half random ("equal jitter"): between d/2 and d.
        case equal
        /// Within ±`fraction` of it (0.25: 75 %–125 %).
        case spread(Double)
    }

    /// The first delay.
    public var base: Duration
    /// The longest delay.
    public var cap: Duration
    /// How delays are spread.
    public var jitter: Jitter

    /// Creates a backoff: `base`·2^(n−1) before retry n, at most `cap`.
    public init(base: Duration, cap: Duration, jitter: Jitter = .none) {
        self.base = base
        self.cap = cap
        self.jitter = jitter
    }

    /// The delay before retry number `failures` (1 after the first failure); never negative.
    public func delay(afterFailures failures: Int) -> Duration {
        .milliseconds(delayMs(afterFailures: failures))
    }

    /// Runs `body` up to `attempts` times, sleeping this backoff between tries. - Throws: the last try's error.
    public func retrying<T: Sendable>(_ attempts: Int, _ body: () async throws -> T) async throws -> T {
        var failures = 0
        while true {
            do {
                return try await body()
            } catch {
                failures += 1
                if failures >= attempts { throw error }
                try? await Task.sleep(for: delay(afterFailures: failures))
            }
        }
    }

    /// ``delay(afterFailures:)`` in milliseconds.
    public func delayMs(afterFailures failures: Int) -> Int64 {
        let base = max(0, self.base.milliseconds)
        let cap = max(base, self.cap.milliseconds)
        let exponent = Int64(min(max(failures - 1, 0), 40))
        let (scaled, overflow) = base.multipliedReportingOverflow(by: Int64(1) << exponent)
        let raw = overflow ? cap : min(cap, scaled)
        switch jitter {
        case .none:
            return raw
        case .equal:
            return raw / 2 + Int64.random(in: 0...max(0, raw - raw / 2))
        case .spread(let fraction):
            let spread = Int64(Double(raw) * min(max(fraction, 0), 1))
            return max(0, raw + (spread > 0 ? Int64.random(in: -spread...spread) : 0))
        }
    }
}
