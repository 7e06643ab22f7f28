import Foundation

/// Wall-clock time for the scheduler; tests inject their own to cross DST changes and downtime instantly.
public protocol SchedulerClock: Sendable {
    /// The current time in Unix milliseconds.
    func nowMs() -> Int64
}

/// The system's wall clock.
public struct SystemSchedulerClock: SchedulerClock {
    /// Creates the system clock.
    public init() {}

    public func nowMs() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded(.down))
    }
}
