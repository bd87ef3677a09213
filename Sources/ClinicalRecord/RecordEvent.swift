import CanonicalJSON

/// One kind of event in the clinical record.
///
/// Every event has a stable type name that never derives from the Swift type's name
/// (`org.imr.session.recorded`), a schema version, and a payload that encodes (snake_case) to
/// the `data` member of the stored CloudEvent. The stored `type` attribute is
/// ``eventType``: the name with `.v` and the version appended.
public protocol RecordEvent: Codable, Sendable, Equatable {
    /// The stable type name, without the version.
    static var typeName: String { get }
    /// The current schema version of the payload.
    static var version: Int { get }
    /// One sentence for the catalog.
    static var summary: String { get }
    /// Fields that hold protected health information, as field paths (`notes[].homework`).
    static var phiFields: [String] { get }
    /// Fields that may hold substance-use-disorder information (42 CFR Part 2).
    static var sudFields: [String] { get }
    /// The stream the event is appended to.
    var stream: String { get }
}

extension RecordEvent {
    /// The stored CloudEvents `type`: `org.imr.session.recorded.v2`.
    public static var eventType: String { "\(typeName).v\(version)" }
    public static var sudFields: [String] { [] }
}

/// The name of the stream that holds the program-wide access log of one consumer's record.
public func accessStream(of consumer: ConsumerID) -> String { "access-" + consumer.rawValue }
