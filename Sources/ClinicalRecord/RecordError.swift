/// Why a command was refused. Nothing is written when a command is refused.
///
/// Every violation names a stable rule (`enrollment.requires-accepted-referral`), the field
/// it concerns when there is one (`notes[1].topics[0]`), and a message. Messages describe
/// the rule and the kind of the offending value, never the value: the record holds patient data.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One broken rule.
    public struct Violation: Sendable, Equatable, CustomStringConvertible {
        /// Stable rule code, `area.rule-name`.
        public var rule: String
        /// The field (snake_case path), or `nil` for a rule about the record's state.
        public var field: String?
        /// A sentence without patient data.
        public var message: String

        public init(rule: String, field: String? = nil, message: String) {
            self.rule = rule; self.field = field; self.message = message
        }

        public var description: String {
            (field.map { "\($0): " } ?? "") + message + " [\(rule)]"
        }
    }

    /// What went wrong, broadly: bad input, a broken invariant, or a concurrent change.
    public enum Kind: String, Sendable {
        /// The command is malformed: a field is missing, of the wrong type or out of range.
        case invalid
        /// The command is well formed but the record's current state forbids it.
        case invariant
        /// Another writer changed a stream between reading and appending, several times over.
        case conflict
    }

    public var kind: Kind
    public var violations: [Violation]

    public init(_ kind: Kind, _ violations: [Violation]) {
        self.kind = kind; self.violations = violations
    }

    /// A broken invariant.
    public static func invariant(_ rule: String, _ message: String, field: String? = nil) -> RecordError {
        RecordError(.invariant, [Violation(rule: rule, field: field, message: message)])
    }

    /// Malformed input.
    public static func invalid(_ rule: String, field: String?, _ message: String) -> RecordError {
        RecordError(.invalid, [Violation(rule: rule, field: field, message: message)])
    }

    /// The first violation's rule.
    public var rule: String { violations.first?.rule ?? "" }

    public var description: String {
        violations.map(\.description).joined(separator: "; ")
    }
}

/// Something worth a person's attention that does not stop the command (a group over 8, an
/// inventory outside sessions 2–3, a late entry).
public struct RecordWarning: Sendable, Equatable, CustomStringConvertible, Codable {
    public var rule: String
    public var message: String
    public init(rule: String, message: String) { self.rule = rule; self.message = message }
    public var description: String { "\(message) [\(rule)]" }
}
