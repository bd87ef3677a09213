/// Decodes `Decodable` values straight from a ``JSONValue`` tree, with no text in between.
///
/// Property names are matched in snake_case (`occurredAt` reads `occurred_at`), the form of
/// every payload in the record. With ``rejectsUnknownKeys`` (the default) a member that no
/// property asked for is an error, so a misspelt field is reported instead of ignored.
///
/// Errors are `DecodingError`s whose coding path names the field; their descriptions never
/// quote the offending value (payloads hold patient data).
///
/// ```swift
/// let note = try JSONValueDecoder().decode(SessionNote.self, from: stored.data)
/// ```
public struct JSONValueDecoder: Sendable {
    /// Whether an object member that the type does not read is an error.
    public var rejectsUnknownKeys: Bool

    /// Makes a decoder.
    public init(rejectsUnknownKeys: Bool = true) {
        self.rejectsUnknownKeys = rejectsUnknownKeys
    }

    /// Decodes a `T` from `value`.
    /// - Throws: `DecodingError`, with the coding path of the first field that is wrong.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        let state = DecodingState(rejectsUnknownKeys: rejectsUnknownKeys)
        let result = try T(from: ValueDecoder(value: value, codingPath: [], state: state))
        if rejectsUnknownKeys { try state.checkUnknownKeys() }
        return result
    }
}

/// Converts a Swift property name to the snake_case member name: `occurredAt` → `occurred_at`.
/// Names that are already lower-case come back unchanged.
public func snakeCaseKey(_ name: String) -> String {
    guard name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return name }
    var out = [UInt8]()
    out.reserveCapacity(name.utf8.count + 4)
    for byte in name.utf8 {
        if byte >= 0x41 && byte <= 0x5A {
            if !out.isEmpty { out.append(0x5F) }
            out.append(byte + 0x20)
        } else {
            out.append(byte)
        }
    }
    return String(decoding: out, as: UTF8.self)
}

/// Shared by every container of one `decode` call: the objects read and the keys asked for.
final class DecodingState {
    let rejectsUnknownKeys: Bool
    private var visited: [(path: [any CodingKey], members: [String: JSONValue], used: Set<String>)] = []

    init(rejectsUnknownKeys: Bool) { self.rejectsUnknownKeys = rejectsUnknownKeys }

    func register(path: [any CodingKey], members: [String: JSONValue]) -> Int {
        visited.append((path, members, []))
        return visited.count - 1
    }

    func use(_ key: String, in slot: Int) { visited[slot].used.insert(key) }

    func checkUnknownKeys() throws {
        for entry in visited {
            // Report the smallest unknown key, so the message is the same on every run.
            if let extra = entry.members.keys.filter({ !entry.used.contains($0) }).min() {
                throw DecodingError.dataCorrupted(.init(
                    codingPath: entry.path + [JSONKey(extra)],
                    debugDescription: "unknown field: not part of this type"))
            }
        }
    }
}

/// A coding key made from a member name or an array index.
struct JSONKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string; intValue = nil }
    init(stringValue: String) { self.init(stringValue) }
    init(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
}

func kindName(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool: "a boolean"
    case .number: "a number"
    case .string: "a string"
    case .array: "an array"
    case .object: "an object"
    }
}

private func mismatch(_ expected: String, _ value: JSONValue, _ path: [any CodingKey]) -> DecodingError {
    .typeMismatch(Any.self, .init(codingPath: path, debugDescription: "expected \(expected), found \(kindName(value))"))
}

private func decodeInteger<I: FixedWidthInteger>(_ value: JSONValue, _ path: [any CodingKey]) throws -> I {
    guard case .number(let d) = value else { throw mismatch("an integer", value, path) }
    guard d.rounded(.towardZero) == d, let i = I(exactly: d) else {
        throw DecodingError.dataCorrupted(.init(
            codingPath: path, debugDescription: "expected an integer within \(I.self)'s range"))
    }
    return i
}

private func decodeScalar<T: Decodable>(_ type: T.Type, _ value: JSONValue, _ path: [any CodingKey], _ state: DecodingState) throws -> T {
    switch type {
    case is String.Type:
        guard case .string(let s) = value else { throw mismatch("a string", value, path) }
        return s as! T
    case is Bool.Type:
        guard case .bool(let b) = value else { throw mismatch("a boolean", value, path) }
        return b as! T
    case is Double.Type:
        guard case .number(let d) = value else { throw mismatch("a number", value, path) }
        return d as! T
    case is Int.Type: return try decodeInteger(value, path) as Int as! T
    case is Int64.Type: return try decodeInteger(value, path) as Int64 as! T
    case is UInt64.Type: return try decodeInteger(value, path) as UInt64 as! T
    case is Int32.Type: return try decodeInteger(value, path) as Int32 as! T
    case is UInt32.Type: return try decodeInteger(value, path) as UInt32 as! T
    case is UInt.Type: return try decodeInteger(value, path) as UInt as! T
    case is Int16.Type: return try decodeInteger(value, path) as Int16 as! T
    case is UInt16.Type: return try decodeInteger(value, path) as UInt16 as! T
    case is Int8.Type: return try decodeInteger(value, path) as Int8 as! T
    case is UInt8.Type: return try decodeInteger(value, path) as UInt8 as! T
    case is Float.Type:
        guard case .number(let d) = value else { throw mismatch("a number", value, path) }
        return Float(d) as! T
    case is JSONValue.Type: return value as! T
    default:
        return try T(from: ValueDecoder(value: value, codingPath: path, state: state))
    }
}

struct ValueDecoder: Decoder {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = value else { throw mismatch("an object", value, codingPath) }
        let slot = state.register(path: codingPath, members: members)
        return KeyedDecodingContainer(Keyed<Key>(members: members, codingPath: codingPath, state: state, slot: slot))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let elements) = value else { throw mismatch("an array", value, codingPath) }
        return Unkeyed(elements: elements, codingPath: codingPath, state: state)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(value: value, codingPath: codingPath, state: state)
    }
}

private struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: JSONValue]
    let codingPath: [any CodingKey]
    let state: DecodingState
    let slot: Int

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    private func name(_ key: Key) -> String {
        let name = snakeCaseKey(key.stringValue)
        state.use(name, in: slot)
        return name
    }

    func contains(_ key: Key) -> Bool { members[name(key)] != nil }

    private func value(_ key: Key) throws -> JSONValue {
        guard let v = members[name(key)] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "required field is missing"))
        }
        return v
    }

    func decodeNil(forKey key: Key) throws -> Bool {
        guard let v = members[name(key)] else { return true }
        return v == .null
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decodeScalar(type, try value(key), codingPath + [key], state)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let v = members[name(key)], v != .null else { return nil }
        return try decodeScalar(type, v, codingPath + [key], state)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key], state: state).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try ValueDecoder(value: try value(key), codingPath: codingPath + [key], state: state).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        ValueDecoder(value: .object(members), codingPath: codingPath, state: state)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        ValueDecoder(value: try value(key), codingPath: codingPath + [key], state: state)
    }
}

private struct Unkeyed: UnkeyedDecodingContainer {
    let elements: [JSONValue]
    let codingPath: [any CodingKey]
    let state: DecodingState
    var currentIndex = 0

    init(elements: [JSONValue], codingPath: [any CodingKey], state: DecodingState) {
        self.elements = elements
        self.codingPath = codingPath
        self.state = state
    }

    var count: Int? { elements.count }
    var isAtEnd: Bool { currentIndex >= elements.count }

    private mutating func next() throws -> (JSONValue, [any CodingKey]) {
        let path = codingPath + [JSONKey(intValue: currentIndex)]
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: path, debugDescription: "array ended early"))
        }
        defer { currentIndex += 1 }
        return (elements[currentIndex], path)
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, elements[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (v, path) = try next()
        return try decodeScalar(type, v, path, state)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path, state: state).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let (v, path) = try next()
        return try ValueDecoder(value: v, codingPath: path, state: state).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder {
        let (v, path) = try next()
        return ValueDecoder(value: v, codingPath: path, state: state)
    }
}

private struct Single: SingleValueDecodingContainer {
    let value: JSONValue
    let codingPath: [any CodingKey]
    let state: DecodingState

    func decodeNil() -> Bool { value == .null }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try decodeScalar(type, value, codingPath, state)
    }
}

extension [any CodingKey] {
    /// The path as a field name: `notes[1].topics[0]`.
    public var fieldPath: String {
        var out = ""
        for key in self {
            if let i = key.intValue {
                out += "[\(i)]"
            } else {
                if !out.isEmpty { out += "." }
                out += snakeCaseKey(key.stringValue)
            }
        }
        return out
    }
}
