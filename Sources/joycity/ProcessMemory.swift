import Foundation

/// Resident memory of processes, from `/proc` (Linux): what the benchmarks report.
enum ProcessMemory {
    /// The peak resident set (`VmHWM`) of process `pid` in MB; NaN when it cannot be read.
    static func peakRSSMB(pid: Int32) -> Double { statusMB(pid: pid, field: "VmHWM:") }

    /// The resident set (`VmRSS`) of process `pid` now, in MB.
    static func residentMB(pid: Int32) -> Double { statusMB(pid: pid, field: "VmRSS:") }

    private static func statusMB(pid: Int32, field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return .nan }
        for line in status.split(separator: "\n") where line.hasPrefix(field) {
            let kb = Double(line.split(separator: " ").dropFirst().first { Double($0) != nil } ?? "") ?? .nan
            return kb / 1024
        }
        return .nan
    }

    /// Resets this process's peak resident set, so the next reading covers what follows only.
    static func resetOwnPeak() { try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8) }
}
