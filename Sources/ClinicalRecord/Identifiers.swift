public import CanonicalJSON

/// The kinds of things the record names. Each kind has its own identifier type, so a consumer
/// id can never be passed where a goal id is expected.
public protocol IdentifierKind: Sendable {
    /// The prefix of the kind's streams (`consumer`, `referral`, …); empty when the kind has
    /// no stream of its own.
    static var streamPrefix: String { get }
}

/// An identifier: 1 to 64 characters, letters, digits, `.`, `_` and `-`, starting with a letter
/// or digit. Identifiers are opaque and must not be built from names or other patient data.
public struct Identifier<Kind: IdentifierKind>: Hashable, Comparable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral, JSONSchemaProviding
{
    /// The identifier's text.
    public let rawValue: String

    /// The longest identifier.
    public static var maxLength: Int { 64 }

    /// Checks and wraps `rawValue`; `nil` when it breaks the identifier rule.
    public init?(_ rawValue: String) {
        guard Self.isValid(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// For literals in code and tests; a literal that breaks the rule is a programming error.
    public init(stringLiteral value: String) {
        guard let id = Self(value) else { preconditionFailure("not a valid identifier literal") }
        self = id
    }

    /// Whether `text` satisfies the identifier rule.
    public static func isValid(_ text: String) -> Bool {
        let bytes = text.utf8
        guard let first = bytes.first, bytes.count <= maxLength, isAlphanumeric(first) else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == 0x2E || $0 == 0x5F || $0 == 0x2D }
    }

    private static func isAlphanumeric(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
    }

    /// The stream this identifier names: `consumer-c042`.
    public var stream: String { Kind.streamPrefix + "-" + rawValue }

    public var description: String { rawValue }

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let id = Self(text) else {
            throw DecodingError.dataCorruptedError(
                in: c, debugDescription: "identifier rule: 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }

    public static var jsonSchema: JSONValue {
        ["type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"]
    }

    public static var jsonSchemaExample: JSONValue { "x1" }
}

/// The kinds of identifiers, with their stream prefixes.
public enum Kinds {
    public enum Consumer: IdentifierKind { public static let streamPrefix = "consumer" }
    public enum Referral: IdentifierKind { public static let streamPrefix = "referral" }
    public enum Enrollment: IdentifierKind { public static let streamPrefix = "" }
    public enum Practitioner: IdentifierKind { public static let streamPrefix = "practitioner" }
    public enum Team: IdentifierKind { public static let streamPrefix = "team" }
    public enum Program: IdentifierKind { public static let streamPrefix = "program" }
    public enum Group: IdentifierKind { public static let streamPrefix = "group" }
    public enum Session: IdentifierKind { public static let streamPrefix = "" }
    public enum Goal: IdentifierKind { public static let streamPrefix = "" }
    public enum Supporter: IdentifierKind { public static let streamPrefix = "" }
    public enum Plan: IdentifierKind { public static let streamPrefix = "" }
    public enum Request: IdentifierKind { public static let streamPrefix = "" }
    public enum Review: IdentifierKind { public static let streamPrefix = "" }
    public enum User: IdentifierKind { public static let streamPrefix = "" }
}

public typealias ConsumerID = Identifier<Kinds.Consumer>
public typealias ReferralID = Identifier<Kinds.Referral>
public typealias EnrollmentID = Identifier<Kinds.Enrollment>
public typealias PractitionerID = Identifier<Kinds.Practitioner>
public typealias TeamID = Identifier<Kinds.Team>
public typealias ProgramID = Identifier<Kinds.Program>
public typealias GroupID = Identifier<Kinds.Group>
public typealias SessionID = Identifier<Kinds.Session>
public typealias GoalID = Identifier<Kinds.Goal>
public typealias SupporterID = Identifier<Kinds.Supporter>
public typealias PlanID = Identifier<Kinds.Plan>
public typealias RequestID = Identifier<Kinds.Request>
public typealias ReviewID = Identifier<Kinds.Review>
/// A user of the record (practitioner, supervisor, rater, administrator); opaque.
public typealias UserID = Identifier<Kinds.User>
