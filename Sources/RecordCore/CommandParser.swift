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
        guard case .string(let occurred)? = members.removeValue(forKey: "occurred_at") else {
            throw .invalid("field.required", field: "occurred_at", "required: RFC 3339 in UTC with Z")
        }
        guard let occurredAt = Timestamp(occurred) else {
            throw .invalid("time.format", field: "occurred_at", "must be RFC 3339 in UTC with Z, at most microseconds")
        }
        var commandId: String?
        if let id = members.removeValue(forKey: "command_id") {
            guard case .string(let s) = id, !s.isEmpty, s.utf8.count <= 100,
                s.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
            else { throw .invalid("command.id", field: "command_id", "must be 1-100 printable ASCII characters without spaces") }
            commandId = s
        }
        let payload = JSONValue.object(members)
        let command: Command
        do {
            if commandName == CommandCatalog.groupSessionCommand {
                command = .recordGroupSession(try JSONValueDecoder().decode(GroupSessionRecording.self, from: payload))
            } else if let type = CommandCatalog.eventType(of: commandName) {
                command = .record(try JSONValueDecoder().decode(type, from: payload))
            } else {
                throw RecordError.invalid("command.unknown", field: "command", "not a command of the record (see `imr record --help`)")
            }
        } catch let error as RecordError {
            throw error
        } catch let error as DecodingError {
            throw .invalid(rule(of: error), field: error.path, error.ruleText)
        } catch {
            throw .invalid("field.invalid", field: nil, "the payload does not decode")
        }
        return CommandRequest(command: command, occurredAt: occurredAt, commandId: commandId)
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
