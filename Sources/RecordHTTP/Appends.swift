import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import Projections
import RecordCore

extension RecordServer {
    /// `POST /v1/commands/{command}`: one command, the same JSON as `imr record`.
    func postCommand(_ request: Request, _ context: APIContext, _ principal: Principal) async throws -> Response {
        let segment = context.parameters.get("command") ?? ""
        let name = segment.removingPercentEncoding ?? segment
        guard let capability = Capability.forCommand(name) else {
            if name == "record-access" {
                throw Problem.forbidden("access events are written by the server itself")
            }
            let commandCapabilities: Set<Capability> = [.programCommands, .intakeCommands, .clinicalCommands, .supervisionCommands]
            guard !principal.role.capabilities.isDisjoint(with: commandCapabilities) else {
                throw Problem.forbidden("the \(principal.role.rawValue) role may not send commands")
            }
            throw Problem.from(RecordError.invalid("command.unknown", field: "command", "not a command of the record"))
        }
        guard principal.role.capabilities.contains(capability) else {
            throw Problem.forbidden("the \(principal.role.rawValue) role may not send \(capability.rawValue) commands")
        }
        let json = try await readJSON(request, accepting: ["application/json"])
        let command: CommandRequest
        do { command = try CommandRequest.parse(name: name, json: json) } catch { throw Problem.from(error) }
        if let program = principal.program {
            try await checkProgram(of: command.command, program: program)
        }
        let result = try await core.execute(command, by: Actor(user: principal.user, role: principal.role.rawValue))
        if !result.wasDuplicate { metrics.appended(result.events.count, kind: "command") }
        let body: JSONValue = [
            "command": .string(name),
            "duplicate": .bool(result.wasDuplicate),
            "events": .array(result.events.map { e in
                ["id": .string(e.id), "type": .string(e.type), "stream": .string(e.stream), "position": .number(Double(e.position))]
            }),
            "warnings": .array(result.warnings.map { ["rule": .string($0.rule), "message": .string($0.message)] }),
        ]
        return jsonResponse(body, status: result.wasDuplicate ? .ok : .created)
    }

    /// A program-scoped token may only send commands whose streams and `program_id` all lie in its program.
    func checkProgram(of command: Command, program: String) async throws {
        var programs = Set<String>()
        if case .record(let event) = command, case .string(let p)? = try core.codec.encode(event)["program_id"] {
            programs.insert(p)
        }
        let scope = try await scopeResolver()
        for stream in command.streamsToRead {
            if let p = scope.program(ofStream: stream) { programs.insert(p) }
        }
        guard programs == [program] else {
            throw Problem.forbidden("this token is limited to one program; the command concerns "
                + (programs.isEmpty ? "no known program" : "another program"))
        }
    }

    /// The members a raw event may have.
    static let rawEventMembers: Set<String> = ["type", "data", "id", "time", "source", "datacontenttype", "specversion"]

    /// `POST /v1/streams/{stream}/events`: raw CloudEvents for integrator imports; one
    /// object or an array, appended atomically with an expected version.
    func postEvents(_ request: Request, _ context: APIContext, _ principal: Principal) async throws -> Response {
        // The router hands over the path segment as sent: a stream id holding `/` (allowed in
        // stream ids) arrives percent-encoded as `%2F`.
        let segment = context.parameters.get("stream") ?? ""
        let name = segment.removingPercentEncoding ?? segment
        let stream: StreamID
        do { stream = try StreamID(name) } catch {
            throw Problem.badRequest("invalid-stream", field: "stream", rule: "stream.id", error.message)
        }
        if name.hasPrefix("access-") {
            throw Problem.forbidden("access streams are written by the server itself")
        }
        let params = QueryParameters(request.uri)
        guard let expectedText = params["expected-version"] ?? request.headers[HTTPField.Name("Expected-Version")!] else {
            throw Problem.badRequest("missing-expected-version", field: "expected-version", rule: "parameter.required",
                                     "give the expected version (any, no-stream, exists or a number) as the expected-version query parameter or Expected-Version header")
        }
        guard let expected = ExpectedVersion(parsing: expectedText) else {
            throw Problem.parameter("expected-version", "expected-version must be any, no-stream, exists or a number")
        }
        if let program = principal.program {
            guard try await scopeResolver().program(ofStream: name) == program else {
                throw Problem.forbidden("this token is limited to one program; the stream is not known to be in it")
            }
        }
        let json = try await readJSON(request, accepting: ["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"])
        let objects: [JSONValue]
        switch json {
        case .array(let a): objects = a
        case .object: objects = [json]
        default:
            throw Self.invalidEvents([.init(rule: "event.object", field: "$", message: "the body is an event object or an array of them")])
        }
        guard !objects.isEmpty, objects.count <= EventLimits.maxEventsPerAppend else {
            throw Self.invalidEvents([.init(rule: "events.count", field: "$", message: "the body holds between 1 and \(EventLimits.maxEventsPerAppend) events; it held \(objects.count)")])
        }
        var drafts: [EventDraft] = []
        var violations: [RecordError.Violation] = []
        let now = Self.nowRFC3339()
        // A token limited to one program writes raw events under a source of that program's
        // own: the id is the idempotency key together with the source, and ids shared with
        // other programs' events would answer 409 for ids that exist elsewhere.
        let programSource = principal.program.map { options.source + "/imports/" + $0 }
        for (i, value) in objects.enumerated() {
            let at = objects.count > 1 || json.arrayValue != nil ? "[\(i)]." : ""
            guard case .object(let o) = value else {
                violations.append(.init(rule: "event.object", field: at.isEmpty ? nil : String(at.dropLast()), message: "an event is a JSON object")); continue
            }
            for key in o.keys.sorted() where !Self.rawEventMembers.contains(key) {
                // The name is the client's text and may be patient data: repeated only when
                // it looks like a field name.
                let shown = DecodingError.looksLikeFieldName(key) ? key : "<name withheld>"
                violations.append(.init(rule: "field.unknown", field: at + shown, message: "not a member of a raw event (type, data, id, time, source, datacontenttype, specversion)"))
            }
            func text(_ key: String) -> String? {
                guard let v = o[key] else { return nil }
                guard case .string(let s) = v else {
                    violations.append(.init(rule: "field.type", field: at + key, message: "expected a string")); return nil
                }
                return s
            }
            let type = text("type")
            let id = text("id"), time = text("time")
            var source = text("source")
            if let programSource {
                if let s = source, s != programSource {
                    violations.append(.init(rule: "raw-event.source-of-program", field: at + "source",
                                            message: "a token limited to one program writes raw events under its program's source only (\(programSource))"))
                }
                source = programSource
            }
            if let s = text("specversion"), s != "1.0" { violations.append(.init(rule: "specversion", field: at + "specversion", message: "must be 1.0")) }
            if let c = text("datacontenttype"), c != "application/json" {
                violations.append(.init(rule: "datacontenttype", field: at + "datacontenttype", message: "must be application/json"))
            }
            if type == nil && o["type"] == nil {
                violations.append(.init(rule: "field.required", field: at + "type", message: "required field is missing"))
            }
            if let type, EventCatalog.isReserved(type: type) {
                violations.append(.init(rule: "raw-event.reserved-type", field: at + "type",
                                        message: "org.imr.* events are recorded through commands (POST /v1/commands/{command})"))
                continue
            }
            let data = o["data"]
            if data == nil { violations.append(.init(rule: "field.required", field: at + "data", message: "required field is missing")) }
            guard let type, let data else { continue }
            // Without a time, the event is stamped now; a retry of a stored id without a time
            // takes the stored event's, so that it is the same content (a safe retry).
            var defaultTime = now
            if time == nil, let id, let position = try await log.position(ofEventID: id, source: source ?? options.source),
               let original = try await log.read(from: position, limit: 1).first {
                defaultTime = original.time
            }
            let draft = EventDraft(id: id ?? EventDraft.newID(), source: source ?? options.source, type: type,
                                   time: time ?? defaultTime, data: data, recordedBy: principal.user, recordedRole: principal.role.rawValue)
            do { try draft.validate(for: stream) } catch {
                violations.append(.init(rule: error.code.description, field: error.field.map { at + $0 }, message: error.message))
                continue
            }
            drafts.append(draft)
        }
        if !violations.isEmpty { throw Self.invalidEvents(violations) }
        let result = try await log.append(drafts, to: stream, expecting: expected)
        if !result.wasDuplicate { metrics.appended(drafts.count, kind: "raw") }
        let body: JSONValue = [
            "stream": .string(stream.rawValue),
            "positions": .array(result.positions.map { JSONValue.number(Double($0)) }),
            "versions": .array(result.versions.map { JSONValue.number(Double($0)) }),
            "duplicate": .bool(result.wasDuplicate),
        ]
        return jsonResponse(body, status: result.wasDuplicate ? .ok : .created)
    }

    /// The 422 for raw events that break the stored format's rules.
    static func invalidEvents(_ violations: [RecordError.Violation]) -> Problem {
        Problem(.unprocessableContent, "invalid-event", "The events break the rules of the stored format",
                detail: "see errors", errors: violations)
    }

    static func nowRFC3339() -> String {
        let micros = Int64((Date().timeIntervalSince1970 * 1_000_000).rounded(.down))
        return Timestamp(microseconds: micros).description
    }
}

/// Which program a stream belongs to, from the caseload projection's records (programs,
/// teams, practitioners, referrals, enrolled consumers, groups; an access stream belongs
/// to its consumer's program).
struct ScopeResolver {
    let records: [String: CaseloadProjection.Record]

    func program(ofStream stream: String) -> String? {
        if stream.hasPrefix("access-") { return program(ofStream: "consumer-" + stream.dropFirst("access-".count)) }
        guard let r = records[stream] else { return nil }
        return r.program?.id.rawValue ?? r.team?.program.rawValue ?? r.practitioner?.program.rawValue
            ?? r.referral?.program.rawValue ?? r.consumer?.program.rawValue ?? r.group?.program.rawValue
    }
}

extension RecordServer {
    /// A resolver over the projections caught up with the log.
    func scopeResolver() async throws -> ScopeResolver {
        try await catchUpViews()
        return ScopeResolver(records: views.snapshot().records(CaseloadProjection.self))
    }
}
