extension JSONValue {
    /// Parses one JSON value from UTF-8 bytes under strict RFC 8259 + I-JSON (RFC 7493) rules.
    ///
    /// The whole input must be a single value with optional surrounding whitespace (space, tab,
    /// LF, CR). Rejected, each with its own ``JSONParseError/Rule``: malformed UTF-8, raw control
    /// characters and unpaired surrogate escapes in strings; duplicate member names (compared after
    /// unescaping); numbers outside the JSON grammar; integer literals (no fraction, no exponent)
    /// outside ±(2^53−1); non-finite numbers; numbers with a fraction or exponent whose value is
    /// not exactly what their canonical form ([RFC 8785 §3.2.2.3](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.3))
    /// denotes (e.g. `0.10000000000000000555`); nesting deeper than `limits.maxDepth`.
    ///
    /// The parser works on contiguous bytes (other collections are copied once) and is
    /// iterative, so hostile nesting fails with `.tooDeep` instead of exhausting the stack.
    ///
    /// ```swift
    /// let bytes: [UInt8] = Array(#"{"specversion":"1.0","data":{"n":[1,2.5]}}"#.utf8)
    /// let event = try JSONValue(parsing: bytes)
    /// event["data"]?["n"]?.arrayValue?.count    // 2
    /// ```
    ///
    /// - Throws: ``JSONParseError`` naming the rule, byte offset and JSON path; never input text.
    /// - SeeAlso: [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259), [RFC 7493 §2](https://www.rfc-editor.org/rfc/rfc7493#section-2).
    public init(parsing bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError) {
        let direct: Result<JSONValue, JSONParseError>? = bytes.withContiguousStorageIfAvailable { buffer in
            var parser = JSONParser(input: buffer, maxDepth: limits.maxDepth)
            return parser.parseDocument()
        }
        if let direct {
            self = try direct.get()
            return
        }
        let copy = Array(bytes)
        let result: Result<JSONValue, JSONParseError> = copy.withUnsafeBufferPointer { buffer in
            var parser = JSONParser(input: buffer, maxDepth: limits.maxDepth)
            return parser.parseDocument()
        }
        self = try result.get()
    }

    /// Parses one JSON value from the UTF-8 form of `text` under the same strict rules as
    /// ``init(parsing:limits:)``.
    ///
    /// ```swift
    /// let v = try JSONValue(parsing: #"[1, "two", {"three": 3.0}]"#)
    /// v.canonicalString   // [1,"two",{"three":3}]
    /// ```
    ///
    /// - Throws: ``JSONParseError``.
    public init(parsing text: String, limits: JSONLimits = .default) throws(JSONParseError) {
        try self.init(parsing: text.utf8, limits: limits)
    }
}

/// The strict, iterative JSON parser behind ``JSONValue/init(parsing:limits:)``.
///
/// Containers under construction live on explicit stacks (`arrays`, `objects`), so nesting
/// depth costs heap, not call stack.
struct JSONParser {
    private let input: UnsafeBufferPointer<UInt8>
    private let end: Int
    private let maxDepth: Int
    private var pos = 0

    /// One entry per open container, innermost last: `true` for an object, `false` for an array.
    private var kinds: [Bool] = []
    private var arrays: [[JSONValue]] = []
    private var objects: [[String: JSONValue]] = []
    /// The member name being parsed in each open object (`nil` before its first name).
    private var keys: [String?] = []
    private var keyOffsets: [Int] = []
    /// Reused buffer for unescaped strings and number digits.
    private var scratch: [UInt8] = []

    init(input: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.input = input
        self.end = input.count
        self.maxDepth = maxDepth
    }

    mutating func parseDocument() -> Result<JSONValue, JSONParseError> {
        do throws(JSONParseError) {
            return .success(try parse())
        } catch {
            return .failure(error)
        }
    }

    // MARK: Driver

    private mutating func parse() throws(JSONParseError) -> JSONValue {
        skipWhitespace()
        if pos == end { throw fail(.empty, at: pos) }
        var value: JSONValue
        nextValue: while true {
            // Parse the value starting at `pos` (whitespace already skipped).
            guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
            switch input[pos] {
            case UInt8(ascii: "{"):
                try openContainer(isObject: true)
                pos += 1
                skipWhitespace()
                if pos < end && input[pos] == UInt8(ascii: "}") {
                    pos += 1
                    closeContainer(isObject: true)
                    value = .object([:])
                } else {
                    try readMemberName()
                    continue nextValue
                }
            case UInt8(ascii: "["):
                try openContainer(isObject: false)
                pos += 1
                skipWhitespace()
                if pos < end && input[pos] == UInt8(ascii: "]") {
                    pos += 1
                    closeContainer(isObject: false)
                    value = .array([])
                } else {
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "t"):
                try expectLiteral(0x74, 0x72, 0x75, 0x65, 0)
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral(0x66, 0x61, 0x6C, 0x73, 0x65)
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral(0x6E, 0x75, 0x6C, 0x6C, 0)
                value = .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = .number(try parseNumber())
            case UInt8(ascii: "+"), UInt8(ascii: "."):
                throw fail(.invalidNumber, at: pos)
            default:
                throw fail(.syntax, at: pos)
            }

            // Attach the finished value to its container; close containers that end here.
            while true {
                guard let isObject = kinds.last else {
                    skipWhitespace()
                    if pos != end { throw fail(.trailingData, at: pos) }
                    return value
                }
                if isObject {
                    let top = objects.count - 1
                    if objects[top].updateValue(value, forKey: keys[top]!) != nil {
                        throw fail(.duplicateKey, at: keyOffsets[top])
                    }
                    skipWhitespace()
                    guard pos < end else { throw fail(.unexpectedEnd, at: pos, afterElement: true) }
                    let c = input[pos]
                    if c == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        try readMemberName()
                        continue nextValue
                    }
                    guard c == UInt8(ascii: "}") else { throw fail(.syntax, at: pos, afterElement: true) }
                    pos += 1
                    value = .object(objects[top])
                    closeContainer(isObject: true)
                } else {
                    let top = arrays.count - 1
                    arrays[top].append(value)
                    skipWhitespace()
                    guard pos < end else { throw fail(.unexpectedEnd, at: pos, afterElement: true) }
                    let c = input[pos]
                    if c == UInt8(ascii: ",") {
                        pos += 1
                        skipWhitespace()
                        continue nextValue
                    }
                    guard c == UInt8(ascii: "]") else { throw fail(.syntax, at: pos, afterElement: true) }
                    pos += 1
                    value = .array(arrays[top])
                    closeContainer(isObject: false)
                }
            }
        }
    }

    @inline(__always)
    private mutating func skipWhitespace() {
        while pos < end {
            let b = input[pos]
            guard b == 0x20 || b == 0x0A || b == 0x0D || b == 0x09 else { return }
            pos += 1
        }
    }

    private mutating func openContainer(isObject: Bool) throws(JSONParseError) {
        if kinds.count >= maxDepth { throw fail(.tooDeep, at: pos) }
        kinds.append(isObject)
        if isObject {
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(8)
            objects.append(members)
            keys.append(nil)
            keyOffsets.append(pos)
        } else {
            arrays.append([])
        }
    }

    /// Pops the innermost container; callers have already taken its contents.
    @inline(__always)
    private mutating func closeContainer(isObject: Bool) {
        kinds.removeLast()
        if isObject {
            objects.removeLast()
            keys.removeLast()
            keyOffsets.removeLast()
        } else {
            arrays.removeLast()
        }
    }

    /// Reads `"name"` and `:` at `pos` into the innermost object's pending member name.
    private mutating func readMemberName() throws(JSONParseError) {
        let top = keys.count - 1
        keys[top] = nil  // the previous name no longer describes the position
        guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
        guard input[pos] == UInt8(ascii: "\"") else { throw fail(.syntax, at: pos) }
        keyOffsets[top] = pos
        let name = try parseString()
        keys[top] = name
        skipWhitespace()
        guard pos < end else { throw fail(.unexpectedEnd, at: pos) }
        guard input[pos] == UInt8(ascii: ":") else { throw fail(.syntax, at: pos) }
        pos += 1
        skipWhitespace()
    }

    private mutating func expectLiteral(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, _ e: UInt8) throws(JSONParseError) {
        let length = e == 0 ? 4 : 5
        let expected = (a, b, c, d, e)
        var i = 0
        while i < length {
            let want: UInt8
            switch i {
            case 0: want = expected.0
            case 1: want = expected.1
            case 2: want = expected.2
            case 3: want = expected.3
            default: want = expected.4
            }
            guard pos + i < end else { throw fail(.unexpectedEnd, at: pos + i) }
            guard input[pos + i] == want else { throw fail(.syntax, at: pos + i) }
            i += 1
        }
        pos += length
    }

    // MARK: Strings

    /// Parses a string literal starting at the opening quote at `pos`; leaves `pos` after the closing quote.
    private mutating func parseString() throws(JSONParseError) -> String {
        let start = pos + 1
        var i = start
        // Fast path: printable ASCII without escapes.
        while i < end {
            let b = input[i]
            if b == 0x22 {
                pos = i + 1
                return String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
            }
            if b == 0x5C || b < 0x20 || b >= 0x80 { break }
            i += 1
        }
        // General path: validate UTF-8; unescape into `scratch` only once an escape appears.
        var escaped = false
        var runStart = start
        while i < end {
            let b = input[i]
            if b == 0x22 {
                pos = i + 1
                if !escaped {
                    return String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<i]))
                return String(decoding: scratch, as: UTF8.self)
            }
            if b == 0x5C {
                if !escaped {
                    escaped = true
                    scratch.removeAll(keepingCapacity: true)
                }
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[runStart..<i]))
                i = try readEscape(at: i)
                runStart = i
                continue
            }
            if b < 0x20 { throw fail(.controlCharacter, at: i) }
            if b < 0x80 {
                i += 1
                continue
            }
            i += try utf8SequenceLength(at: i)
        }
        throw fail(.unexpectedEnd, at: end)
    }

    /// Validates the multi-byte UTF-8 sequence at `i` (RFC 3629 §4) and returns its length.
    @inline(__always)
    private func utf8SequenceLength(at i: Int) throws(JSONParseError) -> Int {
        @inline(__always) func byte(_ j: Int) -> UInt8 { j < end ? input[j] : 0 }
        @inline(__always) func isContinuation(_ x: UInt8) -> Bool { x & 0xC0 == 0x80 }
        let b0 = input[i]
        if b0 < 0xC2 { throw fail(.invalidUTF8, at: i) }  // stray continuation or overlong C0/C1
        if b0 < 0xE0 {
            guard isContinuation(byte(i + 1)) else { throw fail(.invalidUTF8, at: i) }
            return 2
        }
        if b0 < 0xF0 {
            let b1 = byte(i + 1)
            let ok: Bool
            switch b0 {
            case 0xE0: ok = b1 >= 0xA0 && b1 <= 0xBF  // no overlongs
            case 0xED: ok = b1 >= 0x80 && b1 <= 0x9F  // no encoded surrogates
            default: ok = isContinuation(b1)
            }
            guard ok, isContinuation(byte(i + 2)) else { throw fail(.invalidUTF8, at: i) }
            return 3
        }
        if b0 < 0xF5 {
            let b1 = byte(i + 1)
            let ok: Bool
            switch b0 {
            case 0xF0: ok = b1 >= 0x90 && b1 <= 0xBF  // no overlongs
            case 0xF4: ok = b1 >= 0x80 && b1 <= 0x8F  // nothing above U+10FFFF
            default: ok = isContinuation(b1)
            }
            guard ok, isContinuation(byte(i + 2)), isContinuation(byte(i + 3)) else {
                throw fail(.invalidUTF8, at: i)
            }
            return 4
        }
        throw fail(.invalidUTF8, at: i)
    }

    /// Decodes the escape whose backslash is at `i` into `scratch`; returns the index after it.
    private mutating func readEscape(at i: Int) throws(JSONParseError) -> Int {
        guard i + 1 < end else { throw fail(.unexpectedEnd, at: end) }
        let c = input[i + 1]
        let decoded: UInt8
        switch c {
        case UInt8(ascii: "\""): decoded = 0x22
        case UInt8(ascii: "\\"): decoded = 0x5C
        case UInt8(ascii: "/"): decoded = 0x2F
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            let unit = try readHex4(at: i + 2, escapeAt: i)
            var scalar: UInt32
            var next = i + 6
            switch unit {
            case 0xD800...0xDBFF:
                guard next + 1 < end, input[next] == 0x5C, input[next + 1] == UInt8(ascii: "u") else {
                    throw fail(.loneSurrogate, at: i)
                }
                let low = try readHex4(at: next + 2, escapeAt: next)
                guard (0xDC00...0xDFFF).contains(low) else { throw fail(.loneSurrogate, at: i) }
                scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                next += 6
            case 0xDC00...0xDFFF:
                throw fail(.loneSurrogate, at: i)
            default:
                scalar = UInt32(unit)
            }
            appendUTF8(scalar)
            return next
        default:
            throw fail(.invalidEscape, at: i)
        }
        scratch.append(decoded)
        return i + 2
    }

    private func readHex4(at j: Int, escapeAt i: Int) throws(JSONParseError) -> UInt16 {
        guard j + 4 <= end else { throw fail(.unexpectedEnd, at: end) }
        var v: UInt16 = 0
        for k in j..<(j + 4) {
            let h = input[k]
            let d: UInt8
            switch h {
            case 0x30...0x39: d = h - 0x30
            case 0x61...0x66: d = h - 0x61 + 10
            case 0x41...0x46: d = h - 0x41 + 10
            default: throw fail(.invalidEscape, at: i)
            }
            v = v << 4 | UInt16(d)
        }
        return v
    }

    private mutating func appendUTF8(_ s: UInt32) {
        if s < 0x80 {
            scratch.append(UInt8(s))
        } else if s < 0x800 {
            scratch.append(UInt8(0xC0 | (s >> 6)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else if s < 0x10000 {
            scratch.append(UInt8(0xE0 | (s >> 12)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        } else {
            scratch.append(UInt8(0xF0 | (s >> 18)))
            scratch.append(UInt8(0x80 | ((s >> 12) & 0x3F)))
            scratch.append(UInt8(0x80 | ((s >> 6) & 0x3F)))
            scratch.append(UInt8(0x80 | (s & 0x3F)))
        }
    }

    // MARK: Numbers

    /// Parses a number at `pos` per RFC 8259 §6 and the I-JSON range and preservation rules.
    private mutating func parseNumber() throws(JSONParseError) -> Double {
        let start = pos
        var i = pos
        let negative = input[i] == UInt8(ascii: "-")
        if negative { i += 1 }
        @inline(__always) func isDigit(_ j: Int) -> Bool { j < end && input[j] &- 0x30 < 10 }
        guard isDigit(i) else { throw fail(.invalidNumber, at: i) }
        let intStart = i
        if input[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw fail(.invalidNumber, at: intStart) }  // leading zero
        } else {
            while isDigit(i) { i += 1 }
        }
        let intEnd = i
        var fracStart = i, fracEnd = i
        var exponent = 0
        var hasFractionOrExponent = false
        if i < end && input[i] == UInt8(ascii: ".") {
            hasFractionOrExponent = true
            i += 1
            fracStart = i
            while isDigit(i) { i += 1 }
            fracEnd = i
            if fracStart == fracEnd { throw fail(.invalidNumber, at: i) }  // "1."
        }
        if i < end && (input[i] | 0x20) == UInt8(ascii: "e") {
            hasFractionOrExponent = true
            i += 1
            var expNegative = false
            if i < end && (input[i] == UInt8(ascii: "+") || input[i] == UInt8(ascii: "-")) {
                expNegative = input[i] == UInt8(ascii: "-")
                i += 1
            }
            guard isDigit(i) else { throw fail(.invalidNumber, at: i) }  // "1e"
            while isDigit(i) {
                if exponent < 100_000_000 { exponent = exponent * 10 + Int(input[i] - 0x30) }  // saturate
                i += 1
            }
            if expNegative { exponent = -exponent }
        }
        pos = i

        if !hasFractionOrExponent {
            // Integer literal: I-JSON interoperable range ±(2^53−1).
            let count = intEnd - intStart
            guard count <= 16 else { throw fail(.numberOutOfRange, at: start) }
            var magnitude: Int64 = 0
            for j in intStart..<intEnd { magnitude = magnitude * 10 + Int64(input[j] - 0x30) }
            guard magnitude <= 9_007_199_254_740_991 else { throw fail(.numberOutOfRange, at: start) }
            let d = Double(magnitude)
            return negative ? -d : d
        }

        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<i]), as: UTF8.self)
        guard let d = Double(text), d.isFinite else { throw fail(.numberOutOfRange, at: start) }

        // Preservation: the literal, as an exact decimal, must equal the canonical form of `d`.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[intStart..<intEnd]))
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[fracStart..<fracEnd]))
        let preserved = scratch.withUnsafeBufferPointer { literal -> Bool in
            let (lo, hi, n) = ShortestDecimal.strip(literal, intCount: intEnd - intStart, exponent: exponent)
            if lo == hi { return true }  // literal is zero; `d` is ±0
            if d == 0 || hi - lo > 17 { return false }
            return ShortestDecimal.withDigits(of: d) { digits, dn in
                dn == n && digits.elementsEqual(UnsafeBufferPointer(rebasing: literal[lo..<hi]))
            }
        }
        guard preserved else { throw fail(.numberNotPreserved, at: start) }
        return d
    }

    // MARK: Errors

    /// Builds an error whose path names the innermost open position.
    ///
    /// `afterElement` is set between an array element and the following `,`/`]`, where the
    /// element just appended is the one to name.
    private func fail(_ rule: JSONParseError.Rule, at offset: Int, afterElement: Bool = false) -> JSONParseError {
        var path = "$"
        var arrayIndex = 0
        var objectIndex = 0
        for (depth, isObject) in kinds.enumerated() {
            if isObject {
                guard let key = keys[objectIndex] else { break }
                JSONParseError.appendMember(key, to: &path)
                objectIndex += 1
            } else {
                var index = arrays[arrayIndex].count
                if afterElement && depth == kinds.count - 1 { index -= 1 }
                path += "[\(index)]"
                arrayIndex += 1
            }
        }
        return JSONParseError(rule: rule, offset: offset, path: path)
    }
}
