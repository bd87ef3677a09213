/// An error from an ``EventLog``: a code, a message without patient data, and the cause.
///
/// The code is a struct over a private enum, so new codes do not break callers:
///
/// ```swift
/// do { try await log.append([draft], to: stream, expecting: .exact(4)) }
/// catch let error as EventLogError where error.code == .wrongExpectedVersion {
///     print(error.expected!, error.actual!)
/// }
/// ```
public struct EventLogError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is.
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private enum Wrapped: String, Sendable, Hashable {
            case invalidEvent = "invalid-event"
            case eventTooLarge = "event-too-large"
            case wrongExpectedVersion = "wrong-expected-version"
            case idempotencyConflict = "idempotency-conflict"
            case notAStore = "not-a-store"
            case alreadyExists = "already-exists"
            case corruption = "corruption"
            case storage = "storage"
            case readOnly = "read-only"
            case logFull = "log-full"
        }
        private let wrapped: Wrapped
        private init(_ w: Wrapped) { wrapped = w }

        /// An event breaks a rule of the stored format (a field and its rule are named).
        public static let invalidEvent = Code(.invalidEvent)
        /// An event's stored form would exceed ``EventLimits/maxEventBytes``.
        public static let eventTooLarge = Code(.eventTooLarge)
        /// A stream was not at the expected version; nothing was written.
        public static let wrongExpectedVersion = Code(.wrongExpectedVersion)
        /// An event id is already stored with other content, or a retry only partly matches.
        public static let idempotencyConflict = Code(.idempotencyConflict)
        /// The path does not hold an initialised store.
        public static let notAStore = Code(.notAStore)
        /// `create` found a store already there.
        public static let alreadyExists = Code(.alreadyExists)
        /// Stored bytes do not decode or do not match their indexes.
        public static let corruption = Code(.corruption)
        /// The storage engine failed (disk full, permissions, I/O); see ``EventLogError/cause``.
        public static let storage = Code(.storage)
        /// The log was opened read-only.
        public static let readOnly = Code(.readOnly)
        /// The log reached the largest position CloudEvents' 32-bit integer can carry.
        public static let logFull = Code(.logFull)

        /// A short stable name, e.g. `wrong-expected-version`.
        public var description: String { wrapped.rawValue }
    }

    /// The kind of failure.
    public var code: Code
    /// A message naming the field and rule, with no patient data.
    public var message: String
    /// The field at fault, e.g. `data.goal` or `subject`, for validation errors.
    public var field: String?
    /// The stream concerned, for version errors.
    public var stream: StreamID?
    /// The expected version, for `.wrongExpectedVersion`.
    public var expected: ExpectedVersion?
    /// The actual version, for `.wrongExpectedVersion`.
    public var actual: StreamVersion?
    /// The index of the event within the append (0-based), when one event is at fault.
    public var eventIndex: Int?
    /// The position concerned, for corruption.
    public var position: LogIndex?
    /// The underlying error (an `LMDBError`, a JSON parse error), if any.
    public var cause: (any Error & Sendable)?

    /// Makes an error.
    public init(code: Code, message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String { message }

    static func invalid(field: String, rule: String, eventIndex: Int? = nil) -> EventLogError {
        var e = EventLogError(code: .invalidEvent, message: "invalid \(field): \(rule)")
        e.field = field
        e.eventIndex = eventIndex
        if let eventIndex { e.message = "event \(eventIndex): " + e.message }
        return e
    }

    static func wrongVersion(stream: StreamID, expected: ExpectedVersion, actual: StreamVersion) -> EventLogError {
        var e = EventLogError(
            code: .wrongExpectedVersion,
            message: "stream \(stream) is at version \(actual), but the append expected \(expected)")
        e.stream = stream
        e.expected = expected
        e.actual = actual
        return e
    }

    /// A `.corruption` error at `position` (or about the store), with what is wrong.
    public static func corrupt(_ position: LogIndex?, _ detail: String) -> EventLogError {
        var e = EventLogError(
            code: .corruption,
            message: position.map { "stored event at position \($0) is damaged: \(detail)" } ?? "store is damaged: \(detail)")
        e.position = position
        return e
    }
}
