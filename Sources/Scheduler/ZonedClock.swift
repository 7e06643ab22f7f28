import FleetCore
import Foundation

/// Maps between instants (Unix seconds) and wall-clock times of a time zone (seconds since 1970-01-01T00:00 as if
/// that wall clock were UTC), including the times daylight-saving changes skip or repeat.
struct ZonedClock: Sendable {
    let zone: TimeZone

    /// How a wall-clock time exists in the zone.
    enum Occurrence: Equatable {
        /// Exactly once.
        case single(Int64)
        /// Twice (clocks went back): the earlier and the later instant.
        case repeated(Int64, Int64)
        /// Never (clocks jumped forward over it); the instant of the jump.
        case skipped(jumpAt: Int64)
    }

    func offset(at instant: Int64) -> Int64 {
        Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(instant))))
    }

    /// The wall-clock time at an instant.
    func local(_ instant: Int64) -> Int64 { instant + offset(at: instant) }

    /// The instants at which the wall clock shows `local`.
    func occurrence(of local: Int64) -> Occurrence {
        // Offsets in force within a day either side cover every transition that could affect this wall time.
        let offsets = Set([-86_400, -43_200, 0, 43_200, 86_400].map { offset(at: local + Int64($0)) })
        let valid = offsets.map { local - $0 }.filter { offset(at: $0) == local - $0 }.sorted()
        if valid.count >= 2 { return .repeated(valid[0], valid[valid.count - 1]) }
        if let only = valid.first { return .single(only) }
        // Skipped: the jump lies between local - max(offset) and local - min(offset).
        var low = local - offsets.max()!
        var high = local - offsets.min()!
        let before = offset(at: low)
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if offset(at: middle) == before { low = middle } else { high = middle }
        }
        return .skipped(jumpAt: high)
    }
}

extension CronExpression {
    /// The first fire time strictly after `instant` (Unix seconds) in `zone`, or `nil` if the expression never fires
    /// again within eight years.
    ///
    /// Daylight-saving rules (as Vixie cron): a schedule at fixed hours fires once per wall-clock time — in the first
    /// pass of a repeated hour, and at the moment of the jump for times the clocks skip; a schedule whose hour field
    /// is `*` follows real time (fires in both passes of a repeated hour, nothing for skipped times).
    public func nextFire(after instant: Int64, in zone: TimeZone) -> Int64? {
        let clock = ZonedClock(zone: zone)
        let startLocal = clock.local(instant)
        // Wall times before `instant`'s own map after it only when the clocks go back within the next hours.
        let fallBack = max(0, clock.offset(at: instant) - clock.offset(at: instant + 3 * 3600))
        var cursor = startLocal + 1 - fallBack
        var best: Int64?
        var bestBound = Int64.max
        while let local = nextLocalMatch(atOrAfter: cursor) {
            if local > bestBound { break }
            var candidates: [Int64] = []
            switch clock.occurrence(of: local) {
            case .single(let at): candidates = [at]
            case .repeated(let first, let second): candidates = followsRealTime ? [first, second] : [first]
            case .skipped(let jump): candidates = followsRealTime ? [] : [jump]
            }
            for candidate in candidates where candidate > instant && (best == nil || candidate < best!) {
                best = candidate
                // A later wall time L maps to L - offset(L) or later; past best + the largest nearby offset no
                // later wall time can map before best.
                bestBound = candidate + [candidate - 3 * 3600, candidate, candidate + 3 * 3600].map(clock.offset(at:)).max()!
            }
            cursor = local + 1
        }
        return best
    }
}
