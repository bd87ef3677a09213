public import CanonicalJSON
public import ClinicalRecord

/// Derives a JSON Schema (draft 2020-12) from a `Decodable` type by walking its own
/// `init(from:)`, so the schema cannot drift from the decoder: a property read with `decode`
/// is required, one read with `decodeIfPresent` is optional, arrays take their element's
/// schema, and leaf types that carry a rule say it through ``JSONSchemaProviding``.
public enum SchemaGenerator {
    /// The schema of one event type, with its PHI and SUD fields marked (`x-phi`, `x-sud`).
    public static func schema(of type: any RecordEvent.Type) throws -> JSONValue {
        guard case .object(var root) = try schema(decoding: type) else { return .null }
        root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        root["$id"] = .string("urn:imr-ledger:event:" + type.eventType)
        root["title"] = .string(type.eventType)
        root["description"] = .string(type.summary)
        if case .object(var properties)? = root["properties"] {
            for field in type.phiFields where properties[field] != nil {
                if case .object(var p)? = properties[field] { p["x-phi"] = true; properties[field] = .object(p) }
            }
            for field in type.sudFields where properties[field] != nil {
                if case .object(var p)? = properties[field] { p["x-sud"] = true; properties[field] = .object(p) }
            }
            root["properties"] = .object(properties)
        }
        return .object(root)
    }

    /// The schema of any `Decodable` type.
    public static func schema<T: Decodable>(decoding type: T.Type) throws -> JSONValue {
        let walker = SchemaWalker()
        _ = try walker.walk(type)
        return walker.result
    }
}

/// Walks one level of a type's decoding, recording what it asks for.
final class SchemaWalker {
    var properties: [String: JSONValue] = [:]
    var required: [String] = []
    /// Keys the decoder asked `decodeNil` about: the standard library's `decodeIfPresent`
    /// for scalars does that before `decode`, so those keys are optional.
    var optional: Set<String> = []
    var items: JSONValue?
    var single: JSONValue?

    var result: JSONValue {
        if let single { return single }
        if let items { return ["type": "array", "items": items] }
        return [
            "type": "object", "properties": .object(properties),
            "required": .array(required.sorted().map { .string($0) }), "additionalProperties": false,
        ]
    }

    func walk<T: Decodable>(_ type: T.Type) throws -> T {
        try T(from: SchemaDecoder(walker: self))
    }

    /// The schema of `T` and a value of it to hand back to the caller.
    static func leaf<T: Decodable>(_ type: T.Type) throws -> (JSONValue, T) {
        switch type {
        case is String.Type: return (["type": "string"], "" as! T)
        case is Bool.Type: return (["type": "boolean"], false as! T)
        case is Double.Type: return (["type": "number"], 0.0 as! T)
        case is Int.Type: return (["type": "integer"], 0 as! T)
        case is JSONValue.Type: return (["type": "object"], JSONValue.object([:]) as! T)
        default: break
        }
        if let provider = type as? any JSONSchemaProviding.Type {
            return (provider.jsonSchema, try JSONValueDecoder().decode(T.self, from: provider.jsonSchemaExample))
        }
        let child = SchemaWalker()
        let value = try child.walk(type)
        return (child.result, value)
    }
}

private struct SchemaDecoder: Decoder {
    let walker: SchemaWalker
    var codingPath: [any CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(SchemaKeyed<Key>(walker: walker))
    }
    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { SchemaUnkeyed(walker: walker) }
    func singleValueContainer() throws -> any SingleValueDecodingContainer { SchemaSingle(walker: walker) }
}

private struct SchemaKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let walker: SchemaWalker
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { [] }
    func contains(_ key: Key) -> Bool { true }
    func decodeNil(forKey key: Key) throws -> Bool {
        walker.optional.insert(snakeCaseKey(key.stringValue))
        return false
    }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        let (schema, value) = try SchemaWalker.leaf(type)
        let name = snakeCaseKey(key.stringValue)
        walker.properties[name] = schema
        if !walker.optional.contains(name) { walker.required.append(name) }
        return value
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        let (schema, value) = try SchemaWalker.leaf(type)
        walker.properties[snakeCaseKey(key.stringValue)] = schema
        return value
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.dataCorrupted(.init(codingPath: [key], debugDescription: "nested containers are not described"))
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        throw DecodingError.dataCorrupted(.init(codingPath: [key], debugDescription: "nested containers are not described"))
    }
    func superDecoder() throws -> any Decoder { SchemaDecoder(walker: walker) }
    func superDecoder(forKey key: Key) throws -> any Decoder { SchemaDecoder(walker: walker) }
}

private struct SchemaUnkeyed: UnkeyedDecodingContainer {
    let walker: SchemaWalker
    var codingPath: [any CodingKey] { [] }
    var count: Int? { 1 }
    var currentIndex = 0
    var isAtEnd: Bool { currentIndex > 0 }

    init(walker: SchemaWalker) { self.walker = walker }

    mutating func decodeNil() throws -> Bool { false }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try SchemaWalker.leaf(type)
        walker.items = schema
        currentIndex += 1
        return value
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "nested containers are not described"))
    }
    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "nested containers are not described"))
    }
    mutating func superDecoder() throws -> any Decoder { SchemaDecoder(walker: walker) }
}

private struct SchemaSingle: SingleValueDecodingContainer {
    let walker: SchemaWalker
    var codingPath: [any CodingKey] { [] }
    func decodeNil() -> Bool { false }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let (schema, value) = try SchemaWalker.leaf(type)
        walker.single = schema
        return value
    }
}
