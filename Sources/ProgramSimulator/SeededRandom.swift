/// A small, fast, seeded pseudo-random generator (xoshiro256**, seeded through SplitMix64).
///
/// The simulator never uses `SystemRandomNumberGenerator`: the same seed always yields the
/// same numbers, on every platform and in every process.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    /// A generator whose whole sequence follows from `seed` and `stream` (independent streams
    /// of the same seed, e.g. one per site, do not overlap in practice).
    public init(seed: UInt64, stream: UInt64 = 0) {
        var seeding = SplitMix64(seed: seed ^ (stream &* 0xD1B5_4A32_D192_ED03))
        s0 = seeding.next(); s1 = seeding.next(); s2 = seeding.next(); s3 = seeding.next()
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform double in [0, 1).
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }

    /// `true` with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { unit() < p }

    /// A uniform integer in `range` (no modulo bias worth speaking of for small ranges).
    public mutating func int(_ range: ClosedRange<Int>) -> Int {
        let span = UInt64(range.upperBound - range.lowerBound + 1)
        return range.lowerBound + Int(next() % span)
    }

    /// A uniformly chosen element (`nil` for an empty collection).
    public mutating func pick<C: RandomAccessCollection>(_ c: C) -> C.Element? where C.Index == Int {
        c.isEmpty ? nil : c[c.startIndex + Int(next() % UInt64(c.count))]
    }

    /// `k` distinct elements of `c`, in their original order.
    public mutating func sample<T>(_ c: [T], _ k: Int) -> [T] {
        guard k < c.count else { return c }
        var idx = Array(c.indices)
        for i in 0..<k { idx.swapAt(i, i + Int(next() % UInt64(idx.count - i))) }
        return idx.prefix(k).sorted().map { c[$0] }
    }
}

/// SplitMix64 (Steele, Lea and Flood, 2014): one word of state, each output a mix of it.
///
/// It seeds ``SeededRandom`` (its usual job for xoshiro), and serves on its own where a tiny
/// seeded sequence is enough: the benchmark's workload and property tests' trials, which keep
/// their sequences as long as their seeds do.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// The sequence that follows from `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
