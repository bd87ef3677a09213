/// Free room at the end of a byte array that the canonical serializer writes into directly.
///
/// Appending to an `[UInt8]` byte by byte checks the array's uniqueness and capacity on every
/// call, and that checking cost more than the bytes themselves when an event's data was
/// written. Here each write is one bounds check against the room the array has already
/// reserved. A write that does not fit sets ``overflowed`` and the rest is dropped;
/// ``Swift/Array/appendCanonical(room:_:)`` then runs the writer again with more room.
///
/// ```swift
/// var out: [UInt8] = []
/// out.appendCanonical { o in
///     o.literal(#"{"id":"#)
///     o.string("a\"b")
///     o.literal("}")
/// }
/// // out == Array(#"{"id":"a\"b"}"#.utf8)
/// ```
public struct CanonicalOutput {
    private let base: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    /// Bytes written so far.
    public private(set) var count = 0
    /// Whether a write did not fit; what was written is then discarded.
    public private(set) var overflowed = false

    init(_ room: UnsafeMutableBufferPointer<UInt8>) {
        // An empty buffer may have no address; one byte of stack stands in, and never fits.
        base = room.baseAddress ?? UnsafeMutablePointer(bitPattern: 1)!
        capacity = room.baseAddress == nil ? 0 : room.count
    }

    /// Appends one byte.
    @inline(__always)
    public mutating func byte(_ b: UInt8) {
        guard count < capacity else {
            overflowed = true
            return
        }
        base[count] = b
        count &+= 1
    }

    /// Appends bytes as they are.
    @inline(__always)
    public mutating func bytes(_ p: UnsafeBufferPointer<UInt8>) {
        guard p.count <= capacity &- count else {
            overflowed = true
            return
        }
        if let from = p.baseAddress { (base + count).update(from: from, count: p.count) }
        count &+= p.count
    }

    /// Appends a literal's UTF-8 bytes as they are (punctuation and member names written by
    /// hand, already canonical).
    @inline(__always)
    public mutating func literal(_ s: StaticString) {
        s.withUTF8Buffer { bytes($0) }
    }

    /// Appends a string's UTF-8 bytes as they are, without quotes or escapes.
    @inline(__always)
    public mutating func raw(_ s: String) {
        s.withUTF8Bytes { bytes($0) }
    }

    /// Appends the canonical JSON string literal for `s`, quotes included (as
    /// ``JCS/writeString(_:into:)``).
    public mutating func string(_ s: String) {
        s.withUTF8Bytes { escaped($0) }
    }

    /// Appends the canonical form of a number (as ``JCS/writeNumber(_:into:)``).
    /// - Precondition: `d.isFinite`.
    public mutating func number(_ d: Double) {
        precondition(d.isFinite, "RFC 8785: NaN and Infinity have no canonical JSON form")
        if d == 0 {
            byte(UInt8(ascii: "0"))
            return
        }
        // Every integer below 2^53 in magnitude is its own shortest representation.
        // (Truncating through Int64 avoids libm, which pure-Swift executables may not link.)
        if d.magnitude < 9_007_199_254_740_992.0 {
            let integer = Int64(d)
            if Double(integer) == d {
                self.integer(integer)
                return
            }
        }
        if d < 0 { byte(UInt8(ascii: "-")) }
        ShortestDecimal.withDigits(of: d.magnitude) { digits, n in layOut(digits: digits, n: n) }
    }

    /// Appends a signed integer in decimal.
    public mutating func integer(_ value: Int64) {
        if value < 0 { byte(UInt8(ascii: "-")) }
        var m = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { tmp in
            var i = 20
            repeat {
                i -= 1
                tmp[i] = 0x30 &+ UInt8(truncatingIfNeeded: m % 10)
                m /= 10
            } while m != 0
            bytes(UnsafeBufferPointer(rebasing: tmp[i..<20]))
        }
    }

    /// Appends the RFC 8785 canonical serialization of `v` (as ``JSONValue/writeCanonical(into:)``).
    /// - Precondition: every `.number` in `v` is finite.
    public mutating func value(_ v: JSONValue) {
        switch v {
        case .null: literal("null")
        case .bool(true): literal("true")
        case .bool(false): literal("false")
        case .number(let d): number(d)
        case .string(let s): string(s)
        case .array(let elements):
            byte(UInt8(ascii: "["))
            elements.withUnsafeBufferPointer { e in
                for i in e.indices {
                    if i > 0 { byte(UInt8(ascii: ",")) }
                    value(e[i])
                    if overflowed { return }
                }
            }
            byte(UInt8(ascii: "]"))
        case .object(let members):
            byte(UInt8(ascii: "{"))
            if members.count == 1, let only = members.first {
                string(only.key)
                byte(UInt8(ascii: ":"))
                value(only.value)
            } else if !members.isEmpty {
                self.members(members)
            }
            byte(UInt8(ascii: "}"))
        }
    }

    /// A member waiting to be written: its place in RFC 8785 order (``MemberKey``) and where
    /// its name and value wait in scratch space.
    private struct Slot {
        var key: MemberKey
        var index: Int
    }

    /// Writes the members of an object with two or more members in RFC 8785 order.
    ///
    /// Each name and value is taken out of the dictionary once, into scratch space on the
    /// stack, and moved out of it when written: one retain and one release each. Small records
    /// of (name prefix, slot) are sorted, not the members themselves.
    private mutating func members(_ members: [String: JSONValue]) {
        let n = members.count
        withUnsafeTemporaryAllocation(of: String.self, capacity: n) { names in
            withUnsafeTemporaryAllocation(of: JSONValue.self, capacity: n) { values in
                withUnsafeTemporaryAllocation(of: Slot.self, capacity: n) { order in
                    var i = 0
                    for (name, value) in members {
                        order.initializeElement(at: i, to: Slot(key: MemberKey(name), index: i))
                        names.initializeElement(at: i, to: name)
                        values.initializeElement(at: i, to: value)
                        i += 1
                    }
                    @inline(__always) func precedes(_ a: Slot, _ b: Slot) -> Bool {
                        if a.key.ascii && b.key.ascii && a.key.prefix != b.key.prefix { return a.key.prefix < b.key.prefix }
                        return JCS.precedes(names[a.index], names[b.index])
                    }
                    if n <= 24 {
                        // Insertion sort: the objects of events are small.
                        var i = 1
                        while i < n {
                            let x = order[i]
                            var j = i
                            while j > 0 && precedes(x, order[j - 1]) {
                                order[j] = order[j - 1]
                                j -= 1
                            }
                            order[j] = x
                            i += 1
                        }
                    } else {
                        var order = order
                        order.sort(by: precedes)
                    }
                    for k in 0..<n {
                        let slot = order[k].index
                        let name = names.moveElement(from: slot)
                        let value = values.moveElement(from: slot)
                        // After an overflow the rest are only moved out (and so released).
                        if overflowed { continue }
                        if k > 0 { byte(UInt8(ascii: ",")) }
                        string(name)
                        byte(UInt8(ascii: ":"))
                        self.value(value)
                    }
                }
            }
        }
    }

    /// Escapes and appends a UTF-8 buffer as a canonical string literal, copying unescaped runs.
    ///
    /// Per [RFC 8785 §3.2.2.2](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.2). Runs
    /// without `"`, `\` or control characters are found eight bytes at a time (SWAR tests on one
    /// `UInt64`); a word that may hold one is then walked byte by byte.
    mutating func escaped(_ p: UnsafeBufferPointer<UInt8>) {
        byte(0x22)
        guard let base = p.baseAddress else {
            byte(0x22)
            return
        }
        let raw = UnsafeRawPointer(base)
        var runStart = 0
        var i = 0
        let n = p.count
        while true {
            while i &+ 8 <= n && !JCS.mayNeedEscape(raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) {
                i &+= 8
            }
            // Byte by byte through the rest of this word (or the tail) until an escape.
            let stop = min(n, i &+ 8)
            while i < stop {
                let b = base[i]
                if b < 0x20 || b == 0x22 || b == 0x5C { break }
                i &+= 1
            }
            if i == stop {
                if i == n { break }
                continue
            }
            let b = base[i]
            if runStart < i { bytes(UnsafeBufferPointer(rebasing: p[runStart..<i])) }
            byte(0x5C)
            switch b {
            case 0x22: byte(0x22)
            case 0x5C: byte(0x5C)
            case 0x08: byte(UInt8(ascii: "b"))
            case 0x09: byte(UInt8(ascii: "t"))
            case 0x0A: byte(UInt8(ascii: "n"))
            case 0x0C: byte(UInt8(ascii: "f"))
            case 0x0D: byte(UInt8(ascii: "r"))
            default:
                literal("u00")
                byte(JCS.hexDigit(b >> 4))
                byte(JCS.hexDigit(b & 0x0F))
            }
            i &+= 1
            runStart = i
        }
        if runStart < n { bytes(UnsafeBufferPointer(rebasing: p[runStart..<n])) }
        byte(0x22)
    }

    /// Lays out `digits` (k significant digits, value = digits × 10^(n−k)) per ECMA-262
    /// Number::toString: without exponent for n in (−6, 21], else `d.ddde±x`.
    mutating func layOut(digits s: UnsafeBufferPointer<UInt8>, n: Int) {
        let k = s.count
        if k <= n && n <= 21 {
            bytes(s)
            for _ in 0..<(n - k) { byte(UInt8(ascii: "0")) }
        } else if 0 < n && n <= 21 {
            bytes(UnsafeBufferPointer(rebasing: s[0..<n]))
            byte(UInt8(ascii: "."))
            bytes(UnsafeBufferPointer(rebasing: s[n..<k]))
        } else if -6 < n && n <= 0 {
            literal("0.")
            for _ in 0..<(-n) { byte(UInt8(ascii: "0")) }
            bytes(s)
        } else {
            byte(s[0])
            if k > 1 {
                byte(UInt8(ascii: "."))
                bytes(UnsafeBufferPointer(rebasing: s[1..<k]))
            }
            byte(UInt8(ascii: "e"))
            let e = n - 1
            byte(e < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            integer(Int64(e.magnitude))
        }
    }
}

/// A member name's place in RFC 8785 order: its first eight UTF-8 bytes, big-endian and
/// zero-padded.
///
/// For ASCII, byte order is UTF-16 code-unit order, so two names whose ASCII prefixes differ
/// compare as their prefixes do; equal prefixes, and names with a non-ASCII byte in the
/// prefix, are compared in full by ``JCS/precedes(_:_:)``.
struct MemberKey {
    var prefix: UInt64
    var ascii: Bool

    init(_ name: String) {
        (prefix, ascii) = name.withUTF8Bytes { p in
            var prefix: UInt64 = 0
            var high: UInt8 = 0
            let count = min(8, p.count)
            for i in 0..<count {
                prefix = prefix << 8 | UInt64(p[i])
                high |= p[i]
            }
            if count < 8 { prefix <<= UInt64(8 * (8 - count)) }
            return (prefix, high < 0x80)
        }
    }
}

extension Array where Element == UInt8 {
    /// Appends what `body` writes through a ``CanonicalOutput`` over this array's free room.
    ///
    /// At least `room` bytes are reserved first (more when the array already has them). When
    /// `body` overflows the room, its bytes are discarded and it runs again with twice the
    /// room, so it must write the same bytes each time and do nothing else that a second run
    /// would repeat.
    ///
    /// `body` may write at most `limit` bytes. Output that would outgrow the limit is not
    /// written in full: the run stops at the limit, nothing is appended, and the result is
    /// false. A caller that refuses output over a size learns so after writing that much, not
    /// after writing it all.
    ///
    /// ```swift
    /// var out: [UInt8] = []
    /// out.appendCanonical { $0.value(["b": 1, "a": [true]]) }
    /// // out == Array(#"{"a":[true],"b":1}"#.utf8)
    /// ```
    /// - Returns: true when everything `body` wrote was appended; false, having appended
    ///   nothing, when it would have written more than `limit` bytes.
    @discardableResult
    public mutating func appendCanonical(room: Int = 512, limit: Int = .max, _ body: (inout CanonicalOutput) -> Void) -> Bool {
        let limit = Swift.max(limit, 0)
        var room = Swift.max(Swift.min(room, limit), 16)
        while true {
            var done = false
            append(addingCapacity: room) { span in
                span.withUnsafeMutableBufferPointer { free, initialized in
                    var out = CanonicalOutput(free.count > limit ? UnsafeMutableBufferPointer(rebasing: free[..<limit]) : free)
                    body(&out)
                    if !out.overflowed {
                        initialized = out.count
                        done = true
                    }
                }
            }
            if done { return true }
            if room >= limit { return false }
            room = room > limit / 2 ? limit : room * 2
        }
    }
}

extension String {
    /// Calls `body` with the string's UTF-8 bytes in place; a string without contiguous UTF-8
    /// (one bridged from elsewhere) is made contiguous in a copy first.
    ///
    /// The fallback is `withUTF8` on a copy, not an `Array` of the bytes: with the `Array`, the
    /// compiler kept the string retained around `body` on the fast path as well, a retain and a
    /// release per string written.
    @inline(__always)
    func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = utf8.withContiguousStorageIfAvailable(body) { return r }
        var copy = self
        return copy.withUTF8(body)
    }
}
