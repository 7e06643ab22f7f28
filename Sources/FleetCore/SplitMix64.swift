/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, well-distributed 64-bit generator. Deterministic for a
/// seed, which is what job ids (seeded at random) and the fake WB's generated data (seeded fixed) both need.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator starting at `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform double in `0..<1` (53 random bits).
    public mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
