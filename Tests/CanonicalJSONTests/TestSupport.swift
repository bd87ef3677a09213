import CanonicalJSON

/// The UTF-8 bytes of `s`.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// The error thrown when parsing `bytes`, or `nil` if parsing succeeds.
func parseError(_ bytes: [UInt8], limits: JSONLimits = .default) -> JSONParseError? {
    do {
        _ = try JSONValue(parsing: bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

/// The canonical string of a parsed text (crashes the test on parse failure via `try`).
func canonical(_ text: String) throws -> String {
    try JSONValue(parsing: text).canonicalString
}

/// JCS.writeNumber as a String.
func numberText(_ d: Double) -> String {
    var out: [UInt8] = []
    JCS.writeNumber(d, into: &out)
    return String(decoding: out, as: UTF8.self)
}

/// JCS.writeString as a String.
func stringText(_ s: String) -> String {
    var out: [UInt8] = []
    JCS.writeString(s, into: &out)
    return String(decoding: out, as: UTF8.self)
}

/// SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator for reproducible property tests.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
