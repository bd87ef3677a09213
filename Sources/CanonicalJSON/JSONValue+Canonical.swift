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
                writeMembers(members, into: &buffer)
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

/// A member's place in RFC 8785 order: the first eight UTF-8 bytes of its name, big-endian
/// and zero-padded, and where it sits in the dictionary.
///
/// For ASCII, byte order is UTF-16 code-unit order, so two names whose ASCII prefixes differ
/// compare as their prefixes do; equal prefixes, and names with a non-ASCII byte in the
/// prefix, are compared in full by ``JCS/precedes(_:_:)``.
private struct MemberOrder {
    var prefix: UInt64
    var ascii: Bool
    var index: Dictionary<String, JSONValue>.Index

    init(name: String, index: Dictionary<String, JSONValue>.Index) {
        // The name's bytes in place (a small name is copied to the stack); iterating the
        // UTF-8 view byte by byte cost a tenth of writing an event's data.
        let head: (UInt64, Bool)? = name.utf8.withContiguousStorageIfAvailable { Self.prefix(of: $0) }
        (prefix, ascii) = head ?? Self.prefix(of: Array(name.utf8.prefix(8)))
        self.index = index
    }

    /// The first eight bytes, big-endian and zero-padded, and whether they are all ASCII.
    private static func prefix<C: Collection<UInt8>>(of bytes: C) -> (UInt64, Bool) {
        var prefix: UInt64 = 0
        var count = 0
        var high: UInt8 = 0
        for b in bytes {
            if count == 8 { break }
            prefix = prefix << 8 | UInt64(b)
            high |= b
            count += 1
        }
        if count < 8 { prefix <<= UInt64(8 * (8 - count)) }
        return (prefix, high < 0x80)
    }
}

extension JSONValue {
    /// Writes the members of an object with two or more members in RFC 8785 order.
    ///
    /// Sorts small records of (name prefix, dictionary index) rather than copying the
    /// dictionary's entries, so no name or value is copied or retained to sort them.
    private func writeMembers(_ members: [String: JSONValue], into buffer: inout [UInt8]) {
        var order: [MemberOrder] = []
        order.reserveCapacity(members.count)
        var i = members.startIndex
        while i != members.endIndex {
            order.append(MemberOrder(name: members.keys[i], index: i))
            members.formIndex(after: &i)
        }
        let keys = members.keys
        @inline(__always) func precedes(_ a: MemberOrder, _ b: MemberOrder) -> Bool {
            if a.ascii && b.ascii && a.prefix != b.prefix { return a.prefix < b.prefix }
            return JCS.precedes(keys[a.index], keys[b.index])
        }
        let n = order.count
        if n <= 24 {
            // Insertion sort: the objects of events are small.
            order.withUnsafeMutableBufferPointer { e in
                var i = 1
                while i < n {
                    let x = e[i]
                    var j = i
                    while j > 0 && precedes(x, e[j - 1]) {
                        e[j] = e[j - 1]
                        j -= 1
                    }
                    e[j] = x
                    i += 1
                }
            }
        } else {
            order.sort(by: precedes)
        }
        var first = true
        for m in order {
            if !first { buffer.append(UInt8(ascii: ",")) }
            first = false
            JCS.writeString(keys[m.index], into: &buffer)
            buffer.append(UInt8(ascii: ":"))
            members.values[m.index].writeCanonical(into: &buffer)
        }
    }
}
