import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time in milliseconds since the Unix epoch, injectable: the queue engine and the scheduler read it
/// through this protocol, so tests (and simulations) can move time by hand — a job delayed by a day runs when the
/// clock says a day has passed, at once and deterministically.
public protocol WallClock: Sendable {
    /// Now, in ms since the epoch.
    func nowMs() -> Int64
    /// Whether this is the machine's own clock. A component whose server keeps time itself (the queue's Redis
    /// scripts read Redis's `TIME`, one clock for every worker) uses the server's time only with the system clock.
    var isSystem: Bool { get }
}

extension WallClock {
    /// A clock is not the system's unless it says so.
    public var isSystem: Bool { false }
}

/// The machine's real-time clock (`CLOCK_REALTIME`).
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}

    public func nowMs() -> Int64 { Self.nowMs() }

    /// Now, in ms since the epoch, without a clock value (defaults of functions that take a time).
    public static func nowMs() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }

    public var isSystem: Bool { true }
}

/// A clock moved by hand: it stands still until ``set(_:)`` or ``advance(_:)`` moves it.
public final class ManualClock: WallClock {
    private let now: Mutex<Int64>

    /// Creates a clock showing `start` (ms since the epoch; by default the real time now).
    public init(_ start: Int64 = SystemClock.nowMs()) { now = Mutex(start) }

    public func nowMs() -> Int64 { now.withLock { $0 } }

    /// Sets the time to `value` (ms since the epoch).
    public func set(_ value: Int64) { now.withLock { $0 = value } }

    /// Moves the time on by `ms` milliseconds.
    public func advance(_ ms: Int64) { now.withLock { $0 += ms } }

    /// Moves the time on by `duration`.
    public func advance(by duration: Duration) {
        let (seconds, attoseconds) = duration.components
        advance(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
