import FleetCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Job identifiers: 26 characters of Crockford base32 (a ULID: 48-bit milliseconds, then 80 random bits), so
/// they sort by creation time and are safe in Redis keys, URLs and shells.
public enum JobID {
    private static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)

    /// A fast generator seeded once from the system's: ids need uniqueness, not secrecy, and the system generator
    /// costs a `getrandom` system call per number.
    private static let random = Mutex(SplitMix64(seed: UInt64.random(in: 0...UInt64.max)))

    /// A new identifier for a job created now.
    public static func make(nowMs: Int64 = SystemClock.nowMs()) -> String {
        var bytes = [UInt8](repeating: 0, count: 26)
        var time = UInt64(max(0, nowMs))
        for index in stride(from: 9, through: 0, by: -1) {
            bytes[index] = alphabet[Int(time & 31)]
            time >>= 5
        }
        var (random, random2) = JobID.random.withLock { generator in (generator.next(), generator.next()) }
        for index in 10..<26 {
            if index < 22 {
                bytes[index] = alphabet[Int(random & 31)]
                random >>= 5
            } else {
                bytes[index] = alphabet[Int(random2 & 31)]
                random2 >>= 5
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The creation time (ms since the epoch) encoded in a ULID, or `nil` for ids of another shape.
    public static func timestampMs(of id: String) -> Int64? {
        let utf8 = Array(id.utf8)
        guard utf8.count == 26 else { return nil }
        var value: Int64 = 0
        for byte in utf8.prefix(10) {
            guard let digit = alphabet.firstIndex(of: byte) else { return nil }
            value = value << 5 | Int64(digit)
        }
        return value
    }

    /// How far a producer's clock may be from Redis's for a ULID's entry to be found by the time in the id: 5
    /// minutes. Farther ULIDs are indexed like other ids (the enqueue script's `index_entry` uses the same bound).
    public static let clockSkewMs: Int64 = 300_000

    /// Whether `id` is a ULID (26 characters of Crockford base 32, upper case): its entry is found by the time in
    /// it, other ids through the queue's id index (the enqueue script's `named`, same rule).
    public static func isULID(_ id: String) -> Bool {
        id.utf8.count == 26 && id.utf8.allSatisfy { alphabet.contains($0) }
    }

    /// Whether `id` can name a job: 1–128 characters of letters, digits and `-_.:`.
    public static func isValid(_ id: String) -> Bool { NameSyntax.jobID.admits(id) }
}
