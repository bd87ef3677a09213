public import CanonicalJSON
public import ClinicalRecord

/// A command as received: what to do, when it happened clinically, and an optional id that
/// makes retries safe.
public struct CommandRequest: Sendable {
    public var command: Command
    /// Occurred-at: the clinical time, from the command (never from the store).
    public var occurredAt: Timestamp
    /// A caller-chosen id; the events' ids derive from it, so a retried command returns the
    /// original positions instead of writing twice.
    public var commandId: String?

    public init(command: Command, occurredAt: Timestamp, commandId: String? = nil) {
        self.command = command; self.occurredAt = occurredAt; self.commandId = commandId
    }

    /// The envelope members of a command's JSON; every other member is the command's payload.
    public static let envelopeKeys: Set<String> = ["command", "occurred_at", "command_id"]

    /// Parses a command from JSON: `occurred_at` (required), `command_id` (optional), and
    /// the payload fields of the named command (`command` may also be a member, as in NDJSON
    /// imports; when `name` is given they must agree).
    ///
    /// - Throws: ``RecordError`` `.invalid` naming the field and rule; values are never quoted.
    public static func parse(name: String?, json: JSONValue) throws(RecordError) -> CommandRequest {
        guard case .object(var members) = json else {
            throw .invalid("command.object", field: "$", "a command is a JSON object")
        }
        var commandName = name
        if let given = members.removeValue(forKey: "command") {
            guard case .string(let s) = given else { throw .invalid("field.type", field: "command", "expected a string") }
            if let name, name != s { throw .invalid("command.name-mismatch", field: "command", "does not match the command named") }
            commandName = s
        }
        guard let commandName else { throw .invalid("field.required", field: "command", "required field is missing") }
        guard CommandCatalog.eventType(of: commandName) != nil || commandName == CommandCatalog.groupSessionCommand else {
            throw RecordError.invalid("command.unknown", field: "command", "not a command of the record (see `imr record --help`)")
        }
        // The envelope's problems are collected with the payload's: every broken field at once.
        var violations: [RecordError.Violation] = []
        var occurredAt: Timestamp?
        switch members.removeValue(forKey: "occurred_at") {
        case .string(let occurred)?:
            occurredAt = Timestamp(occurred)
            if occurredAt == nil {
                violations.append(.init(rule: "time.format", field: "occurred_at", message: "must be RFC 3339 in UTC with Z, at most microseconds"))
            }
        default:
            violations.append(.init(rule: "field.required", field: "occurred_at", message: "required: RFC 3339 in UTC with Z"))
        }
        var commandId: String?
        if let id = members.removeValue(forKey: "command_id") {
            if case .string(let s) = id, !s.isEmpty, s.utf8.count <= 100, s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
                commandId = s
            } else {
                violations.append(.init(rule: "command.id", field: "command_id", message: "must be 1-100 printable ASCII characters without spaces"))
            }
        }
        var command: Command?
        do throws(RecordError) {
            if commandName == CommandCatalog.groupSessionCommand {
                command = .recordGroupSession(try decodeReportingAll(GroupSessionRecording.self, from: members))
            } else if let type = CommandCatalog.eventType(of: commandName) {
                func decode<T: RecordEvent>(_ type: T.Type) throws(RecordError) -> any RecordEvent { try decodeReportingAll(type, from: members) }
                command = .record(try decode(type))
            }
        } catch {
            violations += error.violations
        }
        guard violations.isEmpty, let command, let occurredAt else { throw RecordError(.invalid, violations) }
        return CommandRequest(command: command, occurredAt: occurredAt, commandId: commandId)
    }

    /// Decodes a command's payload, reporting every broken field at once rather than the first.
    ///
    /// Members that are not fields of the command are reported first and left out (their names
    /// are repeated only when they look like field names: a key can hold patient data). Then,
    /// each time decoding stops at a top-level field (missing, of the wrong type, not a term of
    /// its vocabulary…), the error is kept and the field is given a stand-in value of its
    /// schema's type (``SchemaGenerator``, derived from the same decoder), so that decoding
    /// goes on to the next broken field. Nothing decoded with a stand-in is ever used.
    static func decodeReportingAll<T: Decodable>(_ type: T.Type, from payload: [String: JSONValue]) throws(RecordError) -> T {
        // The usual case, a valid payload, costs one decode; the schema is derived only to
        // report a broken one.
        if let value = try? JSONValueDecoder().decode(T.self, from: .object(payload)) { return value }
        var members = payload
        var violations: [RecordError.Violation] = []
        let properties = (try? SchemaGenerator.schema(decoding: T.self))?["properties"]?.objectValue ?? [:]
        if !properties.isEmpty {
            for key in members.keys.sorted() where properties[key] == nil {
                members[key] = nil
                let shown = DecodingError.looksLikeFieldName(key)
                violations.append(.init(rule: "field.unknown", field: shown ? key : "$",
                                        message: shown ? "unknown field: not a field of this command" : "unknown field: a member whose name is not a field of this command (not repeated here)"))
            }
        }
        var reported = Set<String>()
        for _ in 0...(properties.count + 1) {
            do {
                let value = try JSONValueDecoder().decode(T.self, from: .object(members))
                if violations.isEmpty { return value }
                break
            } catch let error as DecodingError {
                let path = error.path
                guard reported.insert(path).inserted else { break }
                violations.append(.init(rule: rule(of: error), field: path, message: error.ruleText))
                let top = String(path.prefix { $0 != "." && $0 != "[" })
                guard let schema = properties[top], let standIn = standIn(for: schema) else { break }
                members[top] = standIn
            } catch {
                violations.append(.init(rule: "field.invalid", field: nil, message: "the payload does not decode"))
                break
            }
        }
        throw RecordError(.invalid, violations)
    }

    /// A value of a field's schema type that decodes (an enumeration's first term, a date…);
    /// `nil` for nested objects, whose own fields would be reported as missing.
    static func standIn(for schema: JSONValue) -> JSONValue? {
        if let first = schema["enum"]?.arrayValue?.first { return first }
        switch schema["type"]?.stringValue {
        case "string":
            switch schema["format"]?.stringValue {
            case "date": return "2000-01-01"
            case "date-time": return "2000-01-01T00:00:00Z"
            default: return "a"
            }
        case "integer": return schema["minimum"] ?? 1
        case "number": return 1
        case "boolean": return false
        case "array": return []
        default: return nil
        }
    }

    static func rule(of error: DecodingError) -> String {
        switch error {
        case .keyNotFound: "field.required"
        case .typeMismatch: "field.type"
        case .valueNotFound: "field.required"
        case .dataCorrupted(let c):
            c.debugDescription.hasPrefix("unknown field") ? "field.unknown"
                : c.debugDescription.hasPrefix("vocabulary") ? "field.vocabulary"
                : c.debugDescription.hasPrefix("identifier") ? "field.identifier"
                : c.debugDescription.hasPrefix("date") || c.debugDescription.hasPrefix("time") ? "field.date"
                : "field.invalid"
        @unknown default: "field.invalid"
        }
    }
}
