/// Which fires of a schedule are due: the pure decision the leader makes on each pass, separate from Redis so it
/// can be tested with any clock.
public struct FirePlan: Sendable, Equatable {
    /// Fire times (Unix ms) to enqueue now, oldest first.
    public var fires: [Int64]
    /// Due fires that the misfire policy drops (coalesced or beyond the catch-up limit).
    public var dropped: Int
    /// The watermark after these fires: the latest due fire time (fires at or before it are never planned again).
    public var watermark: Int64
    /// The next fire time after `now`, if any.
    public var next: Int64?

    /// Plans a schedule's fires.
    /// - Parameters:
    ///   - spec: when the schedule fires.
    ///   - policy: what to do when more than one fire is due.
    ///   - watermark: the latest fire time already handled (a new schedule starts at the moment it is first seen:
    ///     nothing before is due).
    ///   - nowMs: the current time.
    ///   - scanLimit: the most due fires looked at (bounds work after long downtime of a fast schedule).
    public static func plan(_ spec: ScheduleSpec, policy: MisfirePolicy, watermark: Int64, nowMs: Int64, scanLimit: Int = 10_000) -> FirePlan {
        var due: [Int64] = []
        var dropped = 0
        var cursor = watermark
        var latest = watermark
        let keep: Int
        switch policy {
        case .coalesce: keep = 1
        case .catchUp(let limit): keep = limit
        }
        while let fire = spec.nextFire(afterMs: cursor), fire <= nowMs {
            due.append(fire)
            latest = fire
            cursor = fire
            if due.count > max(keep, 1) * 2 {
                dropped += due.count - keep
                due.removeFirst(due.count - keep)
            }
            if dropped + due.count >= scanLimit {
                // A long downtime of a fast schedule: skip ahead instead of walking every missed fire.
                // Too many to walk: jump to just before now and count the rest roughly.
                let period = spec.typicalPeriodMs(nowMs: nowMs)
                if period > 0, nowMs - cursor > period * 2 {
                    let skipped = Int((nowMs - cursor) / period) - 1
                    dropped += max(skipped, 0)
                    cursor = nowMs - period
                }
            }
        }
        if due.count > keep {
            dropped += due.count - keep
            due.removeFirst(due.count - keep)
        }
        return FirePlan(fires: due, dropped: dropped, watermark: latest, next: spec.nextFire(afterMs: max(nowMs, latest)))
    }
}
