/// An immutable JSON value as defined by RFC 8259, restricted to what I-JSON (RFC 7493) allows.
///
/// `JSONValue` is the in-memory form of a stored event. Parse it strictly with
/// ``init(parsing:limits:)`` and serialize it in RFC 8785 canonical form
/// with ``canonicalBytes`` or ``writeCanonical(into:)``.
///
/// ```swift
/// let event = try JSONValue(parsing: #"{"type":"note.added","data":{"n":1}}"#)
/// event["type"]?.stringValue            // "note.added"
/// event["data"]?["n"]?.intValue          // 1
/// event.canonicalString                  // {"data":{"n":1},"type":"note.added"}
/// ```
///
/// Equality and hashing follow Swift semantics: `.number(0)` equals `.number(-0.0)`, and
/// strings (including member names) compare by Unicode canonical equivalence, so two
/// canonically equivalent but differently encoded member names cannot coexist in one object.
///
/// - SeeAlso: [RFC 8259](https://www.rfc-editor.org/rfc/rfc8259),
///   [RFC 7493 (I-JSON)](https://www.rfc-editor.org/rfc/rfc7493),
///   [RFC 8785 (JCS)](https://www.rfc-editor.org/rfc/rfc8785).
public enum JSONValue: Sendable, Hashable {
    /// The JSON literal `null`.
    case null
    /// The JSON literals `true` and `false`.
    case bool(Bool)
    /// A JSON number, held as an IEEE 754 double (the only number type RFC 8785 knows).
    ///
    /// Canonical serialization requires the value to be finite (RFC 8785 §3.2.2.3).
    case number(Double)
    /// A JSON string: any sequence of Unicode scalars.
    case string(String)
    /// A JSON array, in order.
    case array([JSONValue])
    /// A JSON object; member order is irrelevant because canonical output sorts members.
    case object([String: JSONValue])
}

extension JSONValue {
    /// The member named `key` when this value is an object, otherwise `nil`.
    ///
    /// ```swift
    /// event["data"]?["goals"]
    /// ```
    public subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The string when this value is `.string`, otherwise `nil`.
    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    /// The number when this value is `.number`, otherwise `nil`.
    public var doubleValue: Double? {
        if case .number(let d) = self { return d }
        return nil
    }

    /// The number as an `Int` when this value is `.number` holding an exact integer, otherwise `nil`.
    ///
    /// `1.0` yields `1`; `1.5`, non-finite values and integers outside `Int`'s range yield `nil`.
    public var intValue: Int? {
        // Range check, then truncate through Int64 (no libm, which `Int(exactly:)` would call).
        guard case .number(let d) = self, d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else {
            return nil
        }
        let integer = Int64(d)
        return Double(integer) == d ? Int(exactly: integer) : nil
    }

    /// The members when this value is `.object`, otherwise `nil`.
    public var objectValue: [String: JSONValue]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements when this value is `.array`, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The Boolean when this value is `.bool`, otherwise `nil`.
    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }
}

/// Lets a string literal stand for `.string`, e.g. `let v: JSONValue = "text"`.
extension JSONValue: ExpressibleByStringLiteral {
    /// Creates `.string(value)`.
    public init(stringLiteral value: String) { self = .string(value) }
}

/// Lets an integer literal stand for `.number`, e.g. `let v: JSONValue = 42`.
extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates `.number(Double(value))`.
    public init(integerLiteral value: Int) { self = .number(Double(value)) }
}

/// Lets a floating-point literal stand for `.number`, e.g. `let v: JSONValue = 0.5`.
extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates `.number(value)`.
    public init(floatLiteral value: Double) { self = .number(value) }
}

/// Lets `true` and `false` stand for `.bool`.
extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool(value)`.
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

/// Lets an array literal stand for `.array`, e.g. `let v: JSONValue = [1, "a", true]`.
extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates `.array(elements)`.
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
}

/// Lets a dictionary literal stand for `.object`, e.g. `let v: JSONValue = ["a": 1]`.
extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object` from the pairs; when a name repeats, the last value wins.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
}
