import FleetCore

/// A cron expression: five fields (`minute hour day-of-month month day-of-week`) or six with a leading seconds
/// field, in the classic syntax: `*`, `?`, numbers, ranges `a-b`, steps `*/n` `a-b/n` `a/n`, lists `a,b`, month
/// names `JAN`–`DEC`, day names `SUN`–`SAT` (0 and 7 are Sunday), and the macros `@yearly`, `@annually`,
/// `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`.
///
/// When both day-of-month and day-of-week are restricted, a day matches if either does (as in Vixie cron).
/// Fire times in a time zone, with daylight-saving rules, come from ``nextFire(after:in:)``.
///
/// ```swift
/// let nightly = try CronExpression("30 3 * * *")     // 03:30 every day
/// let fast = try CronExpression("*/5 * * * * *")      // every 5 seconds
/// ```
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    /// The expression as written.
    public let source: String
    let seconds: UInt64
    let minutes: UInt64
    let hours: UInt64
    let daysOfMonth: UInt64
    let months: UInt64
    let daysOfWeek: UInt64
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    /// Whether the hour field covers every hour: such a schedule follows real time across daylight-saving changes
    /// (it fires in both passes of a repeated hour and has nothing to fire in a skipped one), while a schedule at
    /// fixed hours fires once per wall-clock time (first pass of a repeated hour; a skipped time fires when the
    /// clocks jump).
    public var followsRealTime: Bool { hours == Self.mask(0...23) }

    public var description: String { source }

    /// Parses an expression.
    /// - Throws: ``CronError`` naming the field and what is wrong with it.
    public init(_ text: String) throws(CronError) {
        let trimmed = text.trimmingSpaces()
        let expanded: String
        switch trimmed.lowercased() {
        case "@yearly", "@annually": expanded = "0 0 1 1 *"
        case "@monthly": expanded = "0 0 1 * *"
        case "@weekly": expanded = "0 0 * * 0"
        case "@daily", "@midnight": expanded = "0 0 * * *"
        case "@hourly": expanded = "0 * * * *"
        default:
            if trimmed.hasPrefix("@") { throw CronError(text, "unknown macro \(trimmed); use @yearly, @monthly, @weekly, @daily or @hourly") }
            expanded = trimmed
        }
        var fields = expanded.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw CronError(text, "expected 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first), found \(fields.count)")
        }
        if fields.count == 5 { fields.insert("0", at: 0) }
        source = trimmed
        seconds = try Self.field(fields[0], name: "second", range: 0...59, names: [:], in: text).mask
        minutes = try Self.field(fields[1], name: "minute", range: 0...59, names: [:], in: text).mask
        hours = try Self.field(fields[2], name: "hour", range: 0...23, names: [:], in: text).mask
        let dom = try Self.field(fields[3], name: "day-of-month", range: 1...31, names: [:], in: text)
        months = try Self.field(fields[4], name: "month", range: 1...12, names: Self.monthNames, in: text).mask
        let dow = try Self.field(fields[5], name: "day-of-week", range: 0...7, names: Self.dayNames, in: text)
        daysOfMonth = dom.mask
        dayOfMonthRestricted = dom.restricted
        // 7 is Sunday too.
        daysOfWeek = (dow.mask & ~(1 << 7)) | (dow.mask & (1 << 7) != 0 ? 1 : 0)
        dayOfWeekRestricted = dow.restricted
        if !Self.anyDayPossible(daysOfMonth: daysOfMonth, months: months) && !(dayOfWeekRestricted && dayOfMonthRestricted) {
            throw CronError(text, "no month in the expression has the days it names (e.g. 30 February)")
        }
    }

    static let monthNames = [
        "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
    ]
    static let dayNames = ["sun": 0, "mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6]

    static func mask(_ range: ClosedRange<Int>) -> UInt64 {
        range.reduce(0) { $0 | (1 << UInt64($1)) }
    }

    static func anyDayPossible(daysOfMonth: UInt64, months: UInt64) -> Bool {
        let longest = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        for month in 1...12 where months & (1 << UInt64(month)) != 0 {
            if daysOfMonth & mask(1...longest[month]) != 0 { return true }
        }
        return false
    }

    private static func field(
        _ text: String,
        name: String,
        range: ClosedRange<Int>,
        names: [String: Int],
        in expression: String
    ) throws(CronError) -> (mask: UInt64, restricted: Bool) {
        func bad(_ why: String) -> CronError { CronError(expression, "\(name) field \"\(text)\": \(why)") }
        func value(_ token: Substring) throws(CronError) -> Int {
            if let number = Int(token) {
                guard range.contains(number) else { throw bad("\(number) is outside \(range.lowerBound)-\(range.upperBound)") }
                return number
            }
            if let named = names[token.lowercased()] { return named }
            throw bad("\"\(token)\" is not a number" + (names.isEmpty ? "" : " or a name"))
        }
        if text == "*" || text == "?" { return (mask(range), false) }
        var result: UInt64 = 0
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw bad("empty list item") }
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false)
            guard pieces.count <= 2 else { throw bad("more than one step in \"\(part)\"") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed >= 1, parsed <= range.upperBound + 1 else {
                    throw bad("step \"\(pieces[1])\" must be a number from 1 to \(range.upperBound + 1)")
                }
                step = parsed
            }
            let base = pieces[0]
            var low: Int
            var high: Int
            if base == "*" || base == "?" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw bad("range \(base) runs backwards") }
            } else {
                low = try value(base)
                high = pieces.count == 2 ? range.upperBound : low
            }
            var current = low
            while current <= high {
                result |= 1 << UInt64(current)
                current += step
            }
        }
        return (result, true)
    }

    func matches(second: Int, minute: Int, hour: Int) -> Bool {
        seconds & (1 << UInt64(second)) != 0 && minutes & (1 << UInt64(minute)) != 0 && hours & (1 << UInt64(hour)) != 0
    }

    func matchesDay(month: Int, day: Int, weekday: Int) -> Bool {
        guard months & (1 << UInt64(month)) != 0 else { return false }
        let domHit = daysOfMonth & (1 << UInt64(day)) != 0
        let dowHit = daysOfWeek & (1 << UInt64(weekday)) != 0
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return domHit || dowHit
        case (true, false): return domHit
        case (false, true): return dowHit
        case (false, false): return true
        }
    }

    /// The first second of the day at or after `secondOfDay` that the time fields match, or `nil`.
    func firstTime(atOrAfter secondOfDay: Int) -> Int? {
        var hour = secondOfDay / 3600
        while hour < 24 {
            if hours & (1 << UInt64(hour)) != 0 {
                let sameHour = hour == secondOfDay / 3600
                var minute = sameHour ? (secondOfDay % 3600) / 60 : 0
                while minute < 60 {
                    if minutes & (1 << UInt64(minute)) != 0 {
                        let sameMinute = sameHour && minute == (secondOfDay % 3600) / 60
                        var second = sameMinute ? secondOfDay % 60 : 0
                        while second < 60 {
                            if seconds & (1 << UInt64(second)) != 0 { return hour * 3600 + minute * 60 + second }
                            second += 1
                        }
                    }
                    minute += 1
                }
            }
            hour += 1
        }
        return nil
    }

    /// The first wall-clock time (seconds since 1970-01-01T00:00 as if UTC) at or after `local` that matches, or
    /// `nil` when none within eight years does.
    func nextLocalMatch(atOrAfter local: Int64) -> Int64? {
        var day = CivilDate.floorDiv(local, 86_400)
        var secondOfDay = Int(local - day * 86_400)
        for _ in 0..<(366 * 8 + 2) {
            let date = CivilDate(daysSinceEpoch: day)
            if matchesDay(month: date.month, day: date.day, weekday: date.weekday), let time = firstTime(atOrAfter: secondOfDay) {
                return day * 86_400 + Int64(time)
            }
            day += 1
            secondOfDay = 0
        }
        return nil
    }
}

/// A cron expression that cannot be parsed; the description names the field and the problem.
public struct CronError: Error, CustomStringConvertible, Equatable {
    /// The expression as given.
    public let expression: String
    /// What is wrong.
    public let reason: String

    init(_ expression: String, _ reason: String) {
        self.expression = expression
        self.reason = reason
    }

    public var description: String { "cron expression \"\(expression)\": \(reason)" }
}
