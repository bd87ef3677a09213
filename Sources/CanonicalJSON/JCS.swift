/// Canonical serialization helpers for pieces of an RFC 8785 (JSON Canonicalization Scheme) document.
///
/// Use these to assemble canonical objects from pre-rendered members without building a
/// ``JSONValue`` first: write `{`, then for each member in ``precedes(_:_:)`` order the name with
/// ``writeString(_:into:)``, `:`, the value, and `,` between members, then `}`.
///
/// ```swift
/// var out: [UInt8] = []
/// out.append(UInt8(ascii: "{"))
/// JCS.writeString("id", into: &out)
/// out.append(UInt8(ascii: ":"))
/// JCS.writeNumber(42, into: &out)
/// out.append(UInt8(ascii: "}"))
/// // out == Array(#"{"id":42}"#.utf8)
/// ```
///
/// - SeeAlso: [RFC 8785 §3.2](https://www.rfc-editor.org/rfc/rfc8785#section-3.2).
public enum JCS {
    /// Appends the canonical JSON string literal for `s`, quotes included.
    ///
    /// Per [RFC 8785 §3.2.2.2](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.2): `"` and `\`
    /// become `\"` and `\\`; U+0008, U+0009, U+000A, U+000C, U+000D become `\b \t \n \f \r`;
    /// other code points below U+0020 become `\u00xx` with lowercase hex; everything else,
    /// including `/`, DEL and non-ASCII, is copied as UTF-8.
    ///
    /// ```swift
    /// JCS.writeString("a\"\u{0F}/", into: &out)   // appends "a\"\u000f/" (with the quotes)
    /// ```
    public static func writeString(_ s: String, into buffer: inout [UInt8]) {
        // Room for the worst case, every byte escaped as `\u00xx`: the write never runs twice.
        buffer.appendCanonical(room: s.utf8.count &* 6 &+ 2) { $0.string(s) }
    }

    /// Appends the canonical form of a number, i.e. ECMAScript `Number.prototype.toString`.
    ///
    /// Per [RFC 8785 §3.2.2.3](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.3) and
    /// [ECMA-262 §7.1.12.1 (Number::toString)](https://tc39.es/ecma262/#sec-numeric-types-number-tostring):
    /// the shortest digit string that round-trips, laid out without exponent for magnitudes in
    /// [1e-6, 1e21) and as `d.ddde±x` otherwise; `-0` prints as `0`.
    ///
    /// ```swift
    /// JCS.writeNumber(1e21, into: &out)     // "1e+21"
    /// JCS.writeNumber(0.000001, into: &out) // "0.000001"
    /// JCS.writeNumber(-5, into: &out)       // "-5"
    /// ```
    ///
    /// - Precondition: `d.isFinite` (RFC 8785 requires NaN and ±Infinity to be errors).
    public static func writeNumber(_ d: Double, into buffer: inout [UInt8]) {
        // The longest form, `-d.dddddddddddddddde-xxx`, is 24 bytes.
        buffer.appendCanonical(room: 32) { $0.number(d) }
    }

    /// Compares two member names in RFC 8785 order: lexicographically by UTF-16 code units.
    ///
    /// Per [RFC 8785 §3.2.3](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.3). The
    /// comparison runs over the UTF-8 bytes (identical to code point order, and to UTF-16 order
    /// for all ASCII and most text) and corrects the single case where the orders differ: a
    /// code point above U+FFFF (a surrogate pair in UTF-16) sorts *before* U+E000–U+FFFF.
    ///
    /// ```swift
    /// JCS.precedes("\u{1F600}", "\u{FB33}")  // true, although U+1F600 > U+FB33
    /// ```
    ///
    /// - Returns: `true` if `a` sorts strictly before `b`.
    public static func precedes(_ a: String, _ b: String) -> Bool {
        let fast: Bool? = a.utf8.withContiguousStorageIfAvailable { pa in
            b.utf8.withContiguousStorageIfAvailable { pb in utf16Precedes(pa, pb) }
        } ?? nil
        if let fast { return fast }
        return a.utf16.lexicographicallyPrecedes(b.utf16)
    }

    /// Tells whether `bytes` are already in RFC 8785 canonical form.
    ///
    /// True when the bytes parse under the strict rules of ``JSONValue/init(parsing:limits:)``
    /// with default limits, and re-serialize to exactly the same bytes.
    ///
    /// ```swift
    /// JCS.isCanonical(Array(#"{"a":1,"b":[true]}"#.utf8))   // true
    /// JCS.isCanonical(Array(#"{"b":1,"a":2}"#.utf8))        // false: members unsorted
    /// ```
    public static func isCanonical(_ bytes: some Collection<UInt8>) -> Bool {
        guard let value = try? JSONValue(parsing: bytes) else { return false }
        let canonical = value.canonicalBytes
        let same: Bool? = bytes.withContiguousStorageIfAvailable { stored in
            guard stored.count == canonical.count else { return false }
            return canonical.withUnsafeBufferPointer { mine in
                guard let a = stored.baseAddress, let b = mine.baseAddress else { return true }
                var i = 0
                while i < mine.count {
                    if a[i] != b[i] { return false }
                    i &+= 1
                }
                return true
            }
        }
        return same ?? bytes.elementsEqual(canonical)
    }
}

// MARK: - Internals

extension JCS {
    /// True when some byte of `w` is below 0x20, `"` or `\\`.
    ///
    /// Standard SWAR tests (Anderson, "Bit Twiddling Hacks": `hasless` and `haszero`): each is
    /// exact about whether some byte matches, though it may flag the wrong byte, so a true
    /// result is confirmed byte by byte.
    @inline(__always)
    static func mayNeedEscape(_ w: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        let below20 = (w &- ones &* 0x20) & ~w & high
        let q = w ^ (ones &* 0x22)
        let quote = (q &- ones) & ~q & high
        let s = w ^ (ones &* 0x5C)
        let backslash = (s &- ones) & ~s & high
        return (below20 | quote | backslash) != 0
    }

    /// The lower-case hex digit (ASCII) of `v`, which must be 0–15.
    @inlinable
    public static func hexDigit(_ v: UInt8) -> UInt8 {
        v < 10 ? 0x30 &+ v : 0x61 &+ (v &- 10)
    }

    /// UTF-16 code-unit order computed over UTF-8 bytes.
    @inline(__always)
    static func utf16Precedes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = min(a.count, b.count)
        var i = 0
        while i < n {
            let x = a[i], y = b[i]
            if x != y {
                // Both differing characters start at the same offset (the common prefix is
                // whole characters plus, possibly, a shared lead byte). Find that lead byte.
                var start = i
                while start > 0 && (a[start] & 0xC0) == 0x80 { start -= 1 }
                let la = a[start], lb = b[start]
                if la != lb {
                    // Supplementary (F0–F4 lead) vs U+E000–U+FFFF (EE/EF lead): UTF-16 puts the
                    // surrogate pair (D800–DFFF) first, code point order puts it last.
                    if la >= 0xF0 && (lb == 0xEE || lb == 0xEF) { return true }
                    if lb >= 0xF0 && (la == 0xEE || la == 0xEF) { return false }
                }
                return x < y
            }
            i &+= 1
        }
        return a.count < b.count
    }
}

/// Decimal normalization shared by the serializer and the parser's preservation check.
enum ShortestDecimal {
    /// Calls `body` with the shortest round-trip significant digits of `d` (ASCII, no leading or
    /// trailing zeros) and the decimal-point position `n` such that |d| = digits × 10^(n−k).
    ///
    /// Swift's `description` produces the shortest digits that round-trip, picking the closest
    /// when several exist, which is what ECMA-262 Number::toString demands; only its digits and
    /// exponent are used here, the layout is ECMAScript's.
    static func withDigits<R>(of d: Double, _ body: (UnsafeBufferPointer<UInt8>, Int) -> R) -> R {
        let text = d.magnitude.description
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { tmp in
            var count = 0
            var intCount = 0
            var seenPoint = false
            var exponent = 0
            var expNegative = false
            var inExponent = false
            for c in text.utf8 {
                if inExponent {
                    if c == UInt8(ascii: "-") { expNegative = true }
                    else if c >= 0x30 && c <= 0x39 { exponent = exponent * 10 + Int(c &- 0x30) }
                } else if c >= 0x30 && c <= 0x39 {
                    if count < 48 { tmp[count] = c; count += 1 }
                    if !seenPoint { intCount += 1 }
                } else if c == UInt8(ascii: ".") {
                    seenPoint = true
                } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                    inExponent = true
                }
            }
            let digits = UnsafeBufferPointer(rebasing: tmp[0..<count])
            let (lo, hi, n) = strip(digits, intCount: intCount, exponent: expNegative ? -exponent : exponent)
            return body(UnsafeBufferPointer(rebasing: digits[lo..<hi]), n)
        }
    }

    /// Normalizes a decimal `0.digits... × 10^(intCount + exponent)` by dropping leading and
    /// trailing zeros.
    ///
    /// - Returns: the range `lo..<hi` of significant digits and the point position `n` with
    ///   value = digits[lo..<hi] × 10^(n − (hi − lo)); `(0, 0, 0)` when every digit is zero.
    @inline(__always)
    static func strip(_ digits: UnsafeBufferPointer<UInt8>, intCount: Int, exponent: Int) -> (lo: Int, hi: Int, n: Int) {
        var lo = 0
        var hi = digits.count
        while lo < hi && digits[lo] == 0x30 { lo += 1 }
        if lo == hi { return (0, 0, 0) }
        while digits[hi - 1] == 0x30 { hi -= 1 }
        return (lo, hi, intCount + exponent - lo)
    }
}
