import CanonicalJSON

/// Encodes projection records straight to RFC 8785 canonical bytes: the same bytes as
/// `JSONValueEncoder().encode(value).canonicalBytes`, without building a `JSONValue` tree.
///
/// The rules are ``JSONValueEncoder``'s: member names are snake_cased (dictionary keys too),
/// `nil` optionals are left out, integers must fit ±(2^53 − 1), doubles must be finite, a
/// value that encodes nothing is `{}`. Scalars are written as bytes as they arrive; only
/// objects and arrays are nodes, whose members are sorted (UTF-16 order) when rendered.
///
/// Where `JSONValueEncoder` would throw, this throws too; ``canonicalBytes(_:)`` then falls
/// back to `JSONValueEncoder`, so callers see exactly what they saw before.
enum RecordEncoder {
    /// The canonical bytes of `value`, or `[]` when it cannot be encoded (what
    /// `try? JSONValueEncoder().encode(value).canonicalBytes ?? []` gives).
    static func canonicalBytes<T: Encodable>(_ value: T) -> [UInt8] {
        (try? bytes(value)) ?? []
    }

    /// The canonical bytes of `value` by the fastest path that can give them: its own writer
    /// (``CanonicalWritable``), else the `Encoder` path, else `JSONValueEncoder`, whose error
    /// this throws where none can.
    static func bytes<T: Encodable>(_ value: T) throws -> [UInt8] {
        if let bytes = written(value) { return bytes }
        if let bytes = try? encode(value) { return bytes }
        return try JSONValueEncoder().encode(value).canonicalBytes
    }

    /// The bytes a ``CanonicalWritable`` value writes itself; `nil` when `value` does not
    /// conform or has no canonical form (then ``encode(_:)`` reports why).
    static func written<T>(_ value: T) -> [UInt8]? {
        guard let writable = value as? any CanonicalWritable else { return nil }
        var out = CanonicalWriter()
        writable.write(to: &out)
        return out.failed ? nil : out.bytes
    }

    /// The canonical bytes of `value`, through the `Encoder` protocol.
    /// - Throws: ``RecordEncodingFailure`` where `JSONValueEncoder` would throw.
    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = CanonicalNode(kind: .array)
        root.slots.append(.unset)
        try encodeValue(value, owner: root, index: 0, path: [])
        var out: [UInt8] = []
        out.reserveCapacity(256)
        root.render(slot: 0, into: &out)
        return out
    }
}

/// Where ``RecordEncoder`` cannot encode a value (out-of-range integer, non-finite number).
struct RecordEncodingFailure: Error {}

/// One object or array being encoded: its members' slots, and the bytes of its scalar members.
final class CanonicalNode {
    enum Kind { case object, array }
    enum Slot {
        case unset
        case bytes(Int, Int)
        case node(CanonicalNode)
    }

    let kind: Kind
    /// The scalar members' canonical bytes, back to back.
    var buffer: [UInt8] = []
    /// Object member names (snake_cased), parallel to `slots`.
    var keys: [String] = []
    var slots: [Slot] = []

    init(kind: Kind) { self.kind = kind }

    /// Appends the canonical bytes of slot `i` (`null` when unset).
    func render(slot i: Int, into out: inout [UInt8]) {
        switch slots[i] {
        case .unset: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bytes(let s, let e): out.append(contentsOf: buffer[s..<e])
        case .node(let n): n.render(into: &out)
        }
    }

    /// Appends this object's or array's canonical bytes.
    func render(into out: inout [UInt8]) {
        switch kind {
        case .array:
            out.append(UInt8(ascii: "["))
            for i in slots.indices {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                render(slot: i, into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            // Sorted stably (a name given twice keeps its order of arrival), so that only the
            // last of equal names is written: a dictionary's assignment. Unset members are
            // left out.
            var order = Array(keys.indices)
            let keys = self.keys
            if order.count <= 24 {
                var i = 1
                while i < order.count {
                    let x = order[i]
                    var j = i
                    while j > 0 && JCS.precedes(keys[x], keys[order[j - 1]]) {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = x
                    i += 1
                }
            } else {
                order.sort { a, b in
                    if JCS.precedes(keys[a], keys[b]) { return true }
                    if JCS.precedes(keys[b], keys[a]) { return false }
                    return a < b
                }
            }
            out.append(UInt8(ascii: "{"))
            var first = true
            for (p, i) in order.enumerated() {
                if p + 1 < order.count && keys[order[p + 1]] == keys[i] { continue }
                if case .unset = slots[i] { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                JCS.writeString(keys[i], into: &out)
                out.append(UInt8(ascii: ":"))
                render(slot: i, into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// The node in slot `i` if it is one of `kind`, else a new one put there.
    func child(at i: Int, kind: Kind) -> CanonicalNode {
        if case .node(let n) = slots[i], n.kind == kind { return n }
        let n = CanonicalNode(kind: kind)
        slots[i] = .node(n)
        return n
    }
}

private let maxExactInteger = 9_007_199_254_740_991.0

@inline(__always)
private func writeInteger<I: BinaryInteger>(_ i: I, into buffer: inout [UInt8]) throws {
    let d = Double(i)
    guard abs(d) <= maxExactInteger else { throw RecordEncodingFailure() }
    JCS.writeNumber(d, into: &buffer)
}

/// Encodes `value` into slot `index` of `owner` (``JSONValueEncoder``'s `encodeScalar`).
/// `path` is only built for values that are not scalars (it costs an array).
private func encodeValue<T: Encodable>(_ value: T, owner: CanonicalNode, index: Int, path: @autoclosure () -> [any CodingKey]) throws {
    let start = owner.buffer.count
    // `T` is a concrete type (existentials do not conform to Encodable), so comparing
    // metatypes picks the same branch as JSONValueEncoder's `as` casts, without the casts.
    if T.self == String.self {
        JCS.writeString(value as! String, into: &owner.buffer)
    } else if T.self == Int.self {
        try writeInteger(value as! Int, into: &owner.buffer)
    } else if T.self == Bool.self {
        owner.buffer.append(contentsOf: (value as! Bool) ? [0x74, 0x72, 0x75, 0x65] : [0x66, 0x61, 0x6C, 0x73, 0x65])
    } else if T.self == Double.self {
        let d = value as! Double
        guard d.isFinite else { throw RecordEncodingFailure() }
        JCS.writeNumber(d, into: &owner.buffer)
    } else if T.self == Int64.self {
        try writeInteger(value as! Int64, into: &owner.buffer)
    } else if T.self == UInt64.self {
        try writeInteger(value as! UInt64, into: &owner.buffer)
    } else if T.self == Int32.self {
        try writeInteger(value as! Int32, into: &owner.buffer)
    } else if T.self == UInt32.self {
        try writeInteger(value as! UInt32, into: &owner.buffer)
    } else if T.self == UInt.self {
        try writeInteger(value as! UInt, into: &owner.buffer)
    } else if T.self == Int16.self {
        try writeInteger(value as! Int16, into: &owner.buffer)
    } else if T.self == UInt16.self {
        try writeInteger(value as! UInt16, into: &owner.buffer)
    } else if T.self == Int8.self {
        try writeInteger(value as! Int8, into: &owner.buffer)
    } else if T.self == UInt8.self {
        try writeInteger(value as! UInt8, into: &owner.buffer)
    } else if T.self == Float.self {
        let f = value as! Float
        guard f.isFinite else { throw RecordEncodingFailure() }
        JCS.writeNumber(Double(f), into: &owner.buffer)
    } else if T.self == JSONValue.self {
        (value as! JSONValue).writeCanonical(into: &owner.buffer)
    } else {
        try value.encode(to: CanonicalEncoder(owner: owner, index: index, codingPath: path()))
        // A value that encodes nothing is an empty object.
        if case .unset = owner.slots[index] { owner.slots[index] = .node(CanonicalNode(kind: .object)) }
        return
    }
    owner.slots[index] = .bytes(start, owner.buffer.count)
}

private struct CanonicalEncoder: Encoder {
    let owner: CanonicalNode
    let index: Int
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(CanonicalKeyed<Key>(node: owner.child(at: index, kind: .object), owner: owner, index: index,
                                                   codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        CanonicalUnkeyed(node: owner.child(at: index, kind: .array), codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        CanonicalSingle(owner: owner, index: index, codingPath: codingPath)
    }
}

private struct CanonicalKeyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: CanonicalNode
    /// The slot holding `node` (for `superEncoder()`, which shares it).
    let owner: CanonicalNode
    let index: Int
    let codingPath: [any CodingKey]

    private func slot(_ key: Key) -> Int {
        node.keys.append(snakeCaseKey(key.stringValue))
        node.slots.append(.unset)
        return node.slots.count - 1
    }

    mutating func encodeNil(forKey key: Key) throws {
        let i = slot(key)
        let start = node.buffer.count
        node.buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        node.slots[i] = .bytes(start, node.buffer.count)
    }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, owner: node, index: slot(key), path: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        CanonicalEncoder(owner: node, index: slot(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        CanonicalEncoder(owner: node, index: slot(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { CanonicalEncoder(owner: owner, index: index, codingPath: codingPath) }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        CanonicalEncoder(owner: node, index: slot(key), codingPath: codingPath + [key])
    }
}

private struct CanonicalUnkeyed: UnkeyedEncodingContainer {
    let node: CanonicalNode
    let codingPath: [any CodingKey]
    var count: Int { node.slots.count }

    private func slot() -> Int {
        node.slots.append(.unset)
        return node.slots.count - 1
    }

    private func path(_ i: Int) -> [any CodingKey] { codingPath + [IndexKey(intValue: i)] }

    mutating func encodeNil() throws {
        let i = slot()
        let start = node.buffer.count
        node.buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        node.slots[i] = .bytes(start, node.buffer.count)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let i = slot()
        try encodeValue(value, owner: node, index: i, path: path(i))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let i = slot()
        return CanonicalEncoder(owner: node, index: i, codingPath: path(i)).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let i = slot()
        return CanonicalEncoder(owner: node, index: i, codingPath: path(i)).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let i = slot()
        return CanonicalEncoder(owner: node, index: i, codingPath: path(i))
    }
}

private struct CanonicalSingle: SingleValueEncodingContainer {
    let owner: CanonicalNode
    let index: Int
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws {
        let start = owner.buffer.count
        owner.buffer.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        owner.slots[index] = .bytes(start, owner.buffer.count)
    }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, owner: owner, index: index, path: codingPath)
    }
}

/// An array index as a coding key.
private struct IndexKey: CodingKey {
    var intValue: Int?
    var stringValue: String { "\(intValue!)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { return nil }
}
