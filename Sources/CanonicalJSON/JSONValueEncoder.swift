/// Encodes `Encodable` values straight into a ``JSONValue`` tree.
///
/// The mirror of ``JSONValueDecoder``: property names become snake_case members, `nil`
/// optionals are left out, integers must fit the interoperable range ±(2^53 − 1) of
/// shared/DESIGN.md section 3, and non-finite doubles are refused.
///
/// ```swift
/// let data: JSONValue = try JSONValueEncoder().encode(note)
/// ```
public struct JSONValueEncoder: Sendable {
    /// Makes an encoder.
    public init() {}

    /// Encodes `value` as a JSON value.
    /// - Throws: `EncodingError.invalidValue` for an out-of-range number or a value that
    ///   encodes nothing.
    public func encode<T: Encodable>(_ value: T) throws -> JSONValue {
        let box = ValueBox()
        try encodeScalar(value, into: box, path: [])
        guard let result = box.value else {
            throw EncodingError.invalidValue(value, .init(codingPath: [], debugDescription: "the value encoded nothing"))
        }
        return result
    }
}

/// A slot that a container fills; containers hold on to theirs so nested writes land in place.
final class ValueBox {
    var value: JSONValue?
    var members: [String: ValueBox]?
    var elements: [ValueBox]?

    init() {}

    func resolved() -> JSONValue {
        if let members {
            var out = [String: JSONValue](minimumCapacity: members.count)
            for (k, box) in members { if let v = box.resolvedIfSet() { out[k] = v } }
            return .object(out)
        }
        if let elements { return .array(elements.map { $0.resolvedIfSet() ?? .null }) }
        return value ?? .null
    }

    func resolvedIfSet() -> JSONValue? {
        if members != nil || elements != nil { return resolved() }
        return value
    }
}

private let maxExactInteger = 9_007_199_254_740_991.0

private func number<I: BinaryInteger>(_ i: I, _ path: [any CodingKey]) throws -> JSONValue {
    let d = Double(i)
    guard abs(d) <= maxExactInteger else {
        throw EncodingError.invalidValue(i, .init(codingPath: path, debugDescription: "integer outside ±(2^53 − 1); send it as a string"))
    }
    return .number(d)
}

private func encodeScalar<T: Encodable>(_ value: T, into box: ValueBox, path: [any CodingKey]) throws {
    switch value {
    case let s as String: box.value = .string(s)
    case let b as Bool: box.value = .bool(b)
    case let d as Double:
        guard d.isFinite else {
            throw EncodingError.invalidValue(d, .init(codingPath: path, debugDescription: "not a finite number"))
        }
        box.value = .number(d)
    case let i as Int: box.value = try number(i, path)
    case let i as Int64: box.value = try number(i, path)
    case let i as UInt64: box.value = try number(i, path)
    case let i as Int32: box.value = try number(i, path)
    case let i as UInt32: box.value = try number(i, path)
    case let i as UInt: box.value = try number(i, path)
    case let i as Int16: box.value = try number(i, path)
    case let i as UInt16: box.value = try number(i, path)
    case let i as Int8: box.value = try number(i, path)
    case let i as UInt8: box.value = try number(i, path)
    case let f as Float:
        guard f.isFinite else {
            throw EncodingError.invalidValue(f, .init(codingPath: path, debugDescription: "not a finite number"))
        }
        box.value = .number(Double(f))
    case let j as JSONValue: box.value = j
    default:
        try value.encode(to: ValueEncoder(box: box, codingPath: path))
        if box.value == nil, box.members == nil, box.elements == nil { box.members = [:] }
        box.value = box.resolved()
        box.members = nil
        box.elements = nil
    }
}

private struct ValueEncoder: Encoder {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if box.members == nil { box.members = [:] }
        return KeyedEncodingContainer(KeyedEncoder<Key>(box: box, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if box.elements == nil { box.elements = [] }
        return UnkeyedEncoder(box: box, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleEncoder(box: box, codingPath: codingPath)
    }
}

private struct KeyedEncoder<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ValueBox
    let codingPath: [any CodingKey]

    private func slot(_ key: Key) -> ValueBox {
        let child = ValueBox()
        box.members![snakeCaseKey(key.stringValue)] = child
        return child
    }

    mutating func encodeNil(forKey key: Key) throws { slot(key).value = .null }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeScalar(value, into: slot(key), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        ValueEncoder(box: slot(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        ValueEncoder(box: slot(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { ValueEncoder(box: box, codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        ValueEncoder(box: slot(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedEncoder: UnkeyedEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]
    var count: Int { box.elements!.count }

    private func slot() -> (ValueBox, [any CodingKey]) {
        let child = ValueBox()
        let path = codingPath + [JSONKey(intValue: box.elements!.count)]
        box.elements!.append(child)
        return (child, path)
    }

    mutating func encodeNil() throws { slot().0.value = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let (child, path) = slot()
        try encodeScalar(value, into: child, path: path)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let (child, path) = slot()
        return ValueEncoder(box: child, codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let (child, path) = slot()
        return ValueEncoder(box: child, codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let (child, path) = slot()
        return ValueEncoder(box: child, codingPath: path)
    }
}

private struct SingleEncoder: SingleValueEncodingContainer {
    let box: ValueBox
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { box.value = .null }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeScalar(value, into: box, path: codingPath)
    }
}
