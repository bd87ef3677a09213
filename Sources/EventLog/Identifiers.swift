/// A 0-based position in the global log; equal to the event's RFC 9162 Merkle leaf index.
public typealias LogIndex = UInt64

/// A 1-based version within one stream; 0 means "no stream yet".
public typealias StreamVersion = UInt64

/// The identifier of one stream (a consumer, practitioner, group, team, program or referral).
///
/// A stream id is the CloudEvents `subject` of every event in the stream. Rules, checked at
/// construction:
/// - 1 to 128 bytes;
/// - ASCII letters, digits and `-` `_` `.` `:` `/`;
/// - starts with a letter or digit.
///
/// Stream ids are opaque identifiers (for example `consumer-7f3a9c`). They appear in error
/// messages and indexes, so they must never carry names or other patient data.
///
/// ```swift
/// let stream = try StreamID("consumer-7f3a9c")
/// ```
public struct StreamID: Sendable, Hashable, Comparable, CustomStringConvertible, Codable {
    /// The id's text.
    public let rawValue: String

    /// The most bytes a stream id may have.
    public static let maxLength = 128

    /// Validates `rawValue` against the stream id rules.
    /// - Throws: ``EventLogError`` with code `.invalidEvent` naming the field `subject` and the rule.
    public init(_ rawValue: String) throws(EventLogError) {
        if let rule = StreamID.violation(rawValue) {
            throw EventLogError.invalid(field: "subject", rule: rule)
        }
        self.rawValue = rawValue
    }

    /// The rule `text` breaks, or nil when it is a valid stream id.
    static func violation(_ text: String) -> String? {
        let utf8 = text.utf8
        if utf8.isEmpty { return "stream id must not be empty" }
        if utf8.count > maxLength { return "stream id must be at most \(maxLength) bytes" }
        for (i, b) in utf8.enumerated() {
            let alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
            if i == 0 && !alnum { return "stream id must start with a letter or digit" }
            if !(alnum || b == 0x2D || b == 0x5F || b == 0x2E || b == 0x3A || b == 0x2F) {
                return "stream id may hold only ASCII letters, digits and - _ . : /"
            }
        }
        return nil
    }

    public var description: String { rawValue }
    public static func < (a: StreamID, b: StreamID) -> Bool { a.rawValue < b.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}

/// The stream version an append expects, checked in the same transaction as the write.
///
/// ```swift
/// try await log.append([draft], to: stream, expecting: .noStream)   // create
/// try await log.append([draft], to: stream, expecting: .exact(3))   // optimistic update
/// ```
public enum ExpectedVersion: Sendable, Hashable, CustomStringConvertible {
    /// No check.
    case any
    /// The stream must not exist yet (version 0).
    case noStream
    /// The stream must already have at least one event.
    case exists
    /// The stream's current version must be exactly this (0 is the same as `noStream`).
    case exact(StreamVersion)

    /// True when a stream at `actual` satisfies this expectation.
    public func isSatisfied(by actual: StreamVersion) -> Bool {
        switch self {
        case .any: true
        case .noStream: actual == 0
        case .exists: actual > 0
        case .exact(let v): actual == v
        }
    }

    /// Parses `any`, `no-stream`, `exists` or a decimal number.
    public init?(parsing text: String) {
        switch text.lowercased() {
        case "any": self = .any
        case "no-stream", "nostream", "no_stream": self = .noStream
        case "exists": self = .exists
        default:
            guard let v = UInt64(text) else { return nil }
            self = .exact(v)
        }
    }

    public var description: String {
        switch self {
        case .any: "any"
        case .noStream: "no-stream"
        case .exists: "exists"
        case .exact(let v): String(v)
        }
    }
}
