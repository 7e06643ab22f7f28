/// Parses human-written durations: `250ms`, `15s`, `5m`, `2h`, `1d`, or a bare number in a default unit.
public enum DurationParser {
    /// The unit a bare number is read in.
    public enum Unit: Sendable {
        case milliseconds, seconds
    }

    /// The duration `text` stands for, or `nil` when it is not a non-negative number with a known unit.
    public static func parse(_ text: String, defaultUnit: Unit = .milliseconds) -> Duration? {
        let trimmed = text.trimmingSpaces().lowercased()
        let digits = trimmed.prefix { $0.isNumber || $0 == "." }
        let unit = String(trimmed.dropFirst(digits.count)).trimmingSpaces()
        guard !digits.isEmpty, let number = Double(digits), number >= 0, number.isFinite else { return nil }
        let milliseconds: Double
        switch unit {
        case "": milliseconds = defaultUnit == .milliseconds ? number : number * 1000
        case "ms": milliseconds = number
        case "s", "sec": milliseconds = number * 1000
        case "m", "min": milliseconds = number * 60_000
        case "h": milliseconds = number * 3_600_000
        case "d": milliseconds = number * 86_400_000
        default: return nil
        }
        guard milliseconds < 1e15 else { return nil }
        return .milliseconds(Int64(milliseconds.rounded()))
    }
}

extension Duration {
    /// The duration in whole milliseconds (rounded down).
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    /// The duration in whole nanoseconds (rounded down).
    public var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// The duration in seconds.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
