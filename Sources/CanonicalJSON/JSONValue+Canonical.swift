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
        let room =
            switch self {
            case .array, .object: 512
            // The worst case: every byte escaped as `\u00xx`.
            case .string(let s): s.utf8.count &* 6 &+ 2
            default: 32
            }
        buffer.appendCanonical(room: room) { $0.value(self) }
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
