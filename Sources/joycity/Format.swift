import Foundation

/// Plain-text formatting for the CLI.
enum Format {
    static func printTable(_ rows: [[String]]) {
        guard let header = rows.first else { return }
        var widths = header.map(\.count)
        for row in rows { for (index, cell) in row.enumerated() where index < widths.count { widths[index] = max(widths[index], cell.count) } }
        for row in rows {
            print(
                row.enumerated().map { index, cell in
                    index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                }
                .joined(separator: "  ")
            )
        }
    }

    static func duration(ms: Int64) -> String {
        if ms < 1000 { return "\(ms)ms" }
        if ms < 60_000 { return String(format: "%.1fs", Double(ms) / 1000) }
        if ms < 3_600_000 { return "\(ms / 60_000)m\(ms % 60_000 / 1000)s" }
        return "\(ms / 3_600_000)h\(ms % 3_600_000 / 60_000)m"
    }

    static func bytes(_ count: Int64) -> String {
        if count < 1024 { return "\(count) B" }
        if count < 1 << 20 { return String(format: "%.1f KiB", Double(count) / 1024) }
        if count < 1 << 30 { return String(format: "%.1f MiB", Double(count) / 1_048_576) }
        return String(format: "%.2f GiB", Double(count) / 1_073_741_824)
    }

    static func rate(_ perSecond: Double) -> String { String(format: "%.1f", perSecond) }

    static func timestamp(_ ms: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(ms) / 1000))
    }
}
