extension JSONValue {
    /// The RFC 8785 canonical UTF-8 serialization of this value.
    ///
    /// No whitespace; object members sorted by name in UTF-16 code-unit order
    /// ([RFC 8785 §3.2.3](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.3)); strings escaped per
    /// [§3.2.2.2](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.2); numbers formatted per
    /// [§3.2.2.3](https://www.rfc-editor.org/rfc/rfc8785#section-3.2.2.3).
    ///
    /// ```swift
    /// let v: JSONValue = ["b": [1.5, true], "a": "x"]
    /// String(decoding: v.canonicalBytes, as: UTF8.self)   // {"a":"x","b":[1.5,true]}
    /// ```
    ///
    /// - Precondition: every `.number` is finite (RFC 8785 makes NaN and Infinity errors).
    /// - Note: integral numbers with magnitude in [2^53, 1e21) serialize without exponent
    ///   (ECMAScript rules) and are then rejected by the strict parser as out-of-range integers.
    public var canonicalBytes: [UInt8] {
        var buffer: [UInt8] = []
        switch self {
        case .array, .object: buffer.reserveCapacity(512)
        case .string(let s): buffer.reserveCapacity(s.utf8.count + 8)
        default: buffer.reserveCapacity(24)
        }
        writeCanonical(into: &buffer)
        return buffer
    }

    /// Appends the RFC 8785 canonical serialization of this value to `buffer`.
    ///
    /// Same output as ``canonicalBytes``; use it to reuse one buffer across many values.
    ///
    /// ```swift
    /// var out: [UInt8] = []
    /// out.reserveCapacity(4096)
    /// for event in events { out.removeAll(keepingCapacity: true); event.writeCanonical(into: &out); … }
    /// ```
    ///
    /// - Precondition: every `.number` is finite.
    public func writeCanonical(into buffer: inout [UInt8]) {
        switch self {
        case .null:
            buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])  // null
        case .bool(true):
            buffer.append(contentsOf: [0x74, 0x72, 0x75, 0x65])  // true
        case .bool(false):
            buffer.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])  // false
        case .number(let d):
            JCS.writeNumber(d, into: &buffer)
        case .string(let s):
            JCS.writeString(s, into: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            var first = true
            for element in elements {
                if !first { buffer.append(UInt8(ascii: ",")) }
                first = false
                element.writeCanonical(into: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let members):
            buffer.append(UInt8(ascii: "{"))
            if members.count == 1, let only = members.first {
                JCS.writeString(only.key, into: &buffer)
                buffer.append(UInt8(ascii: ":"))
                only.value.writeCanonical(into: &buffer)
            } else if !members.isEmpty {
                var entries = ContiguousArray(members)
                entries.withUnsafeMutableBufferPointer { sortByMemberName($0) }
                var first = true
                for entry in entries {
                    if !first { buffer.append(UInt8(ascii: ",")) }
                    first = false
                    JCS.writeString(entry.key, into: &buffer)
                    buffer.append(UInt8(ascii: ":"))
                    entry.value.writeCanonical(into: &buffer)
                }
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// The RFC 8785 canonical serialization as a `String`.
    ///
    /// ```swift
    /// JSONValue.array([.number(1e21), .number(-0.0)]).canonicalString   // [1e+21,0]
    /// ```
    public var canonicalString: String {
        String(decoding: canonicalBytes, as: UTF8.self)
    }
}

/// Sorts members in RFC 8785 order; insertion sort with moves (no reference-count traffic)
/// for the small objects that dominate, the standard library's sort otherwise.
private func sortByMemberName(_ e: UnsafeMutableBufferPointer<(key: String, value: JSONValue)>) {
    let n = e.count
    guard n <= 24 else {
        var e = e
        e.sort { JCS.precedes($0.key, $1.key) }
        return
    }
    var i = 1
    while i < n {
        var j = i
        while j > 0 && JCS.precedes(e[j].key, e[j - 1].key) {
            e.swapAt(j, j - 1)
            j -= 1
        }
        i += 1
    }
}
