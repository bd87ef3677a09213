/// A type that states its own JSON Schema (draft 2020-12) fragment.
///
/// Schema generators that walk a `Decodable` type use this for leaf types whose rule is not
/// visible from their decoding (a pattern, a closed vocabulary, a date format).
public protocol JSONSchemaProviding {
    /// The schema fragment of one value of this type.
    static var jsonSchema: JSONValue { get }
    /// A JSON value that decodes into this type (the generator needs one to walk on).
    static var jsonSchemaExample: JSONValue { get }
}
