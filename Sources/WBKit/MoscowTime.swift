import Foundation

/// WB's Statistics API speaks Moscow time (UTC+3, no daylight saving) without an offset.
public enum MoscowTime {
    static let offset: TimeInterval = 3 * 3600

    /// `yyyy-MM-dd'T'HH:mm:ss` in MSK.
    public static func dateTime(_ date: Date) -> String {
        let c = components(date)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!)
    }

    /// `yyyy-MM-dd` in MSK.
    public static func day(_ date: Date) -> String {
        let c = components(date)
        return String(format: "%04d-%02d-%02d", c.year!, c.month!, c.day!)
    }

    /// Parses `yyyy-MM-dd` as an MSK day (its midnight).
    public static func parseDay(_ text: String) -> Date? {
        let parts = text.prefix(10).split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3 else { return nil }
        var c = DateComponents()
        (c.year, c.month, c.day) = (parts[0], parts[1], parts[2])
        guard let date = calendar.date(from: c) else { return nil }
        return date.addingTimeInterval(-offset)
    }

    static let calendar: Calendar = {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        return calendar
    }()

    static func components(_ date: Date) -> DateComponents {
        calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date.addingTimeInterval(offset))
    }
}
