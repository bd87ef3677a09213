import CanonicalJSON
import ClinicalRecord

/// The OpenAPI 3.1 document of the API, served at `/openapi.json`.
///
/// It is written by hand from this table, independently of the router's registrations, and a
/// test checks the two against each other (every documented operation is routed, every
/// route is documented) and validates the document with `openapi-spec-validator`.
public enum OpenAPIDocument {
    struct Param {
        var name: String
        var location: String  // path, query, header
        var description: String
        var schema: JSONValue = ["type": "string"]
        var required = false
    }

    struct Operation {
        var method: String
        var path: String
        var id: String
        var summary: String
        var capability: String?  // nil: no token
        var session = false  // the dashboard's cookie session instead of a bearer token
        var params: [Param] = []
        var body: (types: [String], schema: JSONValue)? = nil
        var responses: [(String, String, String?, JSONValue?)]  // status, description, media type, schema
    }

    static let position: JSONValue = ["type": "integer", "minimum": 0]
    static func ref(_ name: String) -> JSONValue { ["$ref": .string("#/components/schemas/\(name)")] }
    static func problem(_ code: String, _ text: String) -> (String, String, String?, JSONValue?) {
        (code, text, "application/problem+json", ref("Problem"))
    }
    static let common: [(String, String, String?, JSONValue?)] = [
        problem("400", "Bad parameters"), problem("401", "No valid bearer token"), problem("403", "Not allowed for this token's role or program"),
    ]
    static let queryParams: [Param] = [
        Param(name: "program", location: "query", description: "Only this program (a program-scoped token's own by default)."),
        Param(name: "as-of", location: "query", description: "A log position (the record after that event), or a recorded-at time (RFC 3339 UTC) or date."),
        Param(name: "from", location: "query", description: "Start of the clinical period.", schema: ["type": "string", "format": "date"]),
        Param(name: "to", location: "query", description: "End of the clinical period: the day statuses are taken on (default today).", schema: ["type": "string", "format": "date"]),
        Param(name: "purpose", location: "query", description: "Why consumer data is read (recorded in the access event); default treatment."),
    ]
    static let feedFilters: [Param] = [
        Param(name: "type", location: "query", description: "Only these event types (comma-separated, exact)."),
        Param(name: "stream-prefix", location: "query", description: "Only streams whose id starts with this."),
        Param(name: "purpose", location: "query", description: "Why consumer data is read (recorded in access events); default treatment."),
    ]

    static var operations: [Operation] {
        [
            Operation(method: "get", path: "/healthz", id: "health", summary: "Liveness: 200 while the server runs.", capability: nil,
                      responses: [("200", "Running", "application/json", ["type": "object"])]),
            Operation(method: "head", path: "/healthz", id: "healthHead", summary: "Liveness without a body, for probes that send HEAD.",
                      capability: nil, responses: [("200", "Running", "application/json", ["type": "object"])]),
            Operation(method: "get", path: "/openapi.json", id: "openapi", summary: "This document.", capability: nil,
                      responses: [("200", "The OpenAPI 3.1 document", "application/json", ["type": "object"])]),
            Operation(method: "get", path: "/metrics", id: "metrics", summary: "Prometheus text exposition.", capability: "metrics",
                      responses: [("200", "Metrics", "text/plain", ["type": "string"])] + common),
            Operation(method: "post", path: "/v1/commands/{command}", id: "sendCommand",
                      summary: "Execute one command of the record (the JSON of `imr record`).", capability: "commands:*",
                      params: [Param(name: "command", location: "path", description: "The command name, e.g. record-session.",
                                     schema: ["type": "string", "enum": .array(CommandCatalog.names.map(JSONValue.string))], required: true)],
                      body: (["application/json"], ref("Command")),
                      responses: [("201", "Appended", "application/json", ref("CommandResult")),
                                  ("200", "A retry of a command id already executed: the original events", "application/json", ref("CommandResult"))]
                          + common + [problem("409", "The record kept changing, or the command id was used for another command"),
                                      problem("413", "Body over the limit"), problem("415", "Not application/json"),
                                      problem("422", "Invalid command or a rule of the record refuses it")]),
            Operation(method: "post", path: "/v1/streams/{stream}/events", id: "appendEvents",
                      summary: "Append raw CloudEvents to one stream (integrator imports), atomically.", capability: "events:raw",
                      params: [Param(name: "stream", location: "path", description: "The stream id.", required: true),
                               Param(name: "expected-version", location: "query",
                                     description: "any, no-stream, exists or a version number (or the Expected-Version header); one of the two is required."),
                               Param(name: "Expected-Version", location: "header", description: "As the expected-version parameter.")],
                      body: (["application/json", "application/cloudevents+json", "application/cloudevents-batch+json"],
                             ["oneOf": [ref("RawEvent"), ["type": "array", "items": ref("RawEvent"), "minItems": 1]]]),
                      responses: [("201", "Appended", "application/json", ref("AppendResult")),
                                  ("200", "A retry of events already stored: the original positions", "application/json", ref("AppendResult"))]
                          + common + [problem("409", "Wrong expected version (with expected and actual) or an id stored with other content"),
                                      problem("413", "Body over the limit"), problem("415", "Unsupported media type"),
                                      problem("422", "An event breaks a rule of the stored format")]),
            Operation(method: "get", path: "/v1/feed", id: "feedPage", summary: "A page of the log: the exact stored events.", capability: "feed",
                      params: [Param(name: "from", location: "query", description: "The position to start at (default 0).", schema: position),
                               Param(name: "limit", location: "query", description: "At most this many events (default 100, at most 1000).",
                                     schema: ["type": "integer", "minimum": 1, "maximum": 1000])] + feedFilters,
                      responses: [("200", "Events; the Link header (rel=next) and IMR-Next-From give the next cursor",
                                   "application/cloudevents-batch+json", ["type": "array", "items": ref("StoredEvent")])] + common),
            Operation(method: "get", path: "/v1/feed/live", id: "feedLive",
                      summary: "The live log as Server-Sent Events (id = position), resumable with Last-Event-ID.", capability: "feed",
                      params: [Param(name: "from", location: "query", description: "The position to start at (default 0).", schema: position),
                               Param(name: "Last-Event-ID", location: "header", description: "Resume after this position.")] + feedFilters,
                      responses: [("200", "An endless event stream with heartbeat comments", "text/event-stream", ["type": "string"])] + common),
            Operation(method: "get", path: "/v1/caseload", id: "caseload", summary: "Caseloads per program, team, practitioner and group.",
                      capability: "queries", params: queryParams, responses: [("200", "The caseload report", "application/json", ref("Report"))] + common),
            Operation(method: "get", path: "/v1/goals", id: "goals", summary: "Goal progress and follow-up; consumer rows are access-logged.",
                      capability: "queries", params: queryParams, responses: [("200", "The goals report", "application/json", ref("Report"))] + common
                          + [problem("503", "The access event could not be written; nothing is shown")]),
            Operation(method: "get", path: "/v1/participation", id: "participation",
                      summary: "Enrollment, sessions, hours and modules; consumer rows are access-logged.",
                      capability: "queries", params: queryParams,
                      responses: [("200", "The participation report", "application/json", ref("Report"))] + common
                          + [problem("503", "The access event could not be written; nothing is shown")]),
            Operation(method: "get", path: "/v1/fidelity", id: "fidelity", summary: "The IMR Fidelity Scale of one program.",
                      capability: "fidelity", params: queryParams, responses: [("200", "The fidelity report", "application/json", ref("Report"))] + common),
            Operation(method: "get", path: "/v1/consumers/{id}/record", id: "consumerRecord",
                      summary: "One consumer's record, amendments applied; every read is access-logged.", capability: "consumer-record",
                      params: [Param(name: "id", location: "path", description: "The consumer id.", required: true),
                               Param(name: "audit", location: "query", description: "Auditors: every event, with originals.", schema: ["type": "boolean"]),
                               Param(name: "purpose", location: "query", description: "Why the record is read (default treatment)."),
                               Param(name: "IMR-Purpose", location: "header", description: "As the purpose parameter.")],
                      responses: [("200", "The record", "application/json", ref("ConsumerRecord"))] + common
                          + [problem("404", "No such consumer"), problem("503", "The access event could not be written; nothing is shown")]),
            Operation(method: "get", path: "/v1/checkpoint", id: "checkpoint", summary: "The latest signed checkpoint (C2SP signed note).",
                      capability: "integrity", responses: [("200", "The signed note", "text/plain", ["type": "string"])] + common
                          + [problem("404", "No checkpoint and no signer key")]),
            Operation(method: "get", path: "/v1/proofs/inclusion", id: "inclusionProof", summary: "RFC 9162 inclusion proof (imr-audit's JSON).",
                      capability: "integrity",
                      params: [Param(name: "position", location: "query", description: "The event's position.", schema: position, required: true),
                               Param(name: "size", location: "query", description: "The tree size (default: the log's).", schema: position)],
                      responses: [("200", "The proof", "application/json", ref("InclusionProof"))] + common),
            Operation(method: "get", path: "/v1/proofs/consistency", id: "consistencyProof", summary: "RFC 9162 consistency proof (imr-audit's JSON).",
                      capability: "integrity",
                      params: [Param(name: "from", location: "query", description: "The older tree size (≥ 1).", schema: position, required: true),
                               Param(name: "to", location: "query", description: "The newer tree size (default: the log's).", schema: position)],
                      responses: [("200", "The proof", "application/json", ref("ConsistencyProof"))] + common),
            Operation(method: "get", path: "/", id: "dashboard",
                      summary: "The program dashboard (HTML) for a signed-in administrator, refreshed live; without a session, the sign-in form.",
                      capability: nil,
                      responses: [("200", "The dashboard, or the sign-in form", "text/html", ["type": "string"]),
                                  ("403", "The session's role may not view the dashboard (the sign-in form again)", "text/html", ["type": "string"])]),
            Operation(method: "post", path: "/session", id: "signIn", summary: "Sign in to the dashboard with a token (form field token).",
                      capability: nil,
                      body: (["application/x-www-form-urlencoded"], ["type": "object", "required": ["token"], "properties": ["token": ["type": "string"]]]),
                      responses: [("303", "Signed in: the session cookie is set; go to /", nil, nil),
                                  ("400", "No token (the form again)", "text/html", ["type": "string"]),
                                  ("401", "Not a valid token (the form again)", "text/html", ["type": "string"]),
                                  ("403", "The token's role may not view the dashboard (the form again)", "text/html", ["type": "string"]),
                                  ("413", "Form over 4 KiB", "text/html", ["type": "string"]),
                                  ("415", "Not a form", "text/html", ["type": "string"])]),
            Operation(method: "post", path: "/session/end", id: "signOut", summary: "Sign out of the dashboard.", capability: nil,
                      responses: [("303", "Signed out: the cookie is cleared; go to /", nil, nil)]),
            Operation(method: "get", path: "/dashboard/live", id: "dashboardLive",
                      summary: "Server-Sent Events for the dashboard page: `event: position` each time the projections move (no record data).",
                      capability: nil, session: true,
                      responses: [("200", "The event stream", "text/event-stream", ["type": "string"]),
                                  problem("401", "No dashboard session"), problem("403", "The session's role may not view the dashboard")]),
        ]
    }

    /// The (method, path) pairs the document describes.
    public static var documentedRoutes: [RouteInfo] {
        operations.map { RouteInfo(method: $0.method.uppercased(), path: $0.path) }.sorted()
    }

    static var schemas: JSONValue {
        let hex: JSONValue = ["type": "string", "pattern": "^[0-9a-f]{64}$"]
        return [
            "Problem": ["type": "object", "description": "RFC 9457 problem details.", "required": ["type", "title", "status"],
                        "properties": ["type": ["type": "string"], "title": ["type": "string"], "status": ["type": "integer"],
                                       "detail": ["type": "string"],
                                       "errors": ["type": "array", "items": ["type": "object", "required": ["rule", "message"],
                                                                            "properties": ["field": ["type": ["string", "null"]], "rule": ["type": "string"], "message": ["type": "string"]]]],
                                       "expected": ["type": "string"], "actual": ["type": "integer"], "stream": ["type": "string"]]],
            "Command": ["type": "object", "required": ["occurred_at"], "additionalProperties": true,
                        "properties": ["occurred_at": ["type": "string", "format": "date-time"],
                                       "command_id": ["type": "string", "minLength": 1, "maxLength": 100]]],
            "CommandResult": ["type": "object", "required": ["command", "duplicate", "events", "warnings"],
                              "properties": ["command": ["type": "string"], "duplicate": ["type": "boolean"],
                                             "events": ["type": "array", "items": ["type": "object", "properties": [
                                                 "id": ["type": "string"], "type": ["type": "string"], "stream": ["type": "string"], "position": position]]],
                                             "warnings": ["type": "array", "items": ["type": "object"]]]],
            "RawEvent": ["type": "object", "required": ["type", "data"], "additionalProperties": false,
                         "properties": ["type": ["type": "string"], "data": ["type": "object"], "id": ["type": "string"],
                                        "time": ["type": "string", "format": "date-time"], "source": ["type": "string"],
                                        "datacontenttype": ["const": "application/json"], "specversion": ["const": "1.0"]]],
            "AppendResult": ["type": "object", "required": ["stream", "positions", "versions", "duplicate"],
                             "properties": ["stream": ["type": "string"], "positions": ["type": "array", "items": position],
                                            "versions": ["type": "array", "items": position], "duplicate": ["type": "boolean"]]],
            "StoredEvent": ["type": "object", "description": "A stored CloudEvents 1.0 event, byte for byte (docs/FORMAT.md).",
                            "required": ["specversion", "id", "source", "type", "time", "subject", "position", "predecessorhash"]],
            "Report": ["type": "object", "description": "A projection report (docs/PROJECTIONS.md), with the log position it reflects.",
                       "properties": ["position": position]],
            "ConsumerRecord": ["type": "object", "required": ["consumer", "stream", "events"],
                               "properties": ["consumer": ["type": "string"], "stream": ["type": "string"], "stream_version": position,
                                              "audit": ["type": "boolean"],
                                              "events": ["type": "array", "items": ["type": "object", "properties": [
                                                  "id": ["type": "string"], "type": ["type": "string"], "position": position,
                                                  "data": ["type": "object"], "amended": ["type": "boolean"], "in_error": ["type": "boolean"],
                                                  "original": ["type": "object"]]]]]],
            "InclusionProof": ["type": "object", "required": ["position", "treeSize", "leafHash", "rootHash", "proof"],
                               "properties": ["position": position, "treeSize": position, "leafHash": hex, "rootHash": hex,
                                              "proof": ["type": "array", "items": hex], "event": ["type": "string"]]],
            "ConsistencyProof": ["type": "object", "required": ["oldSize", "newSize", "oldRoot", "newRoot", "proof"],
                                 "properties": ["oldSize": position, "newSize": position, "oldRoot": hex, "newRoot": hex,
                                                "proof": ["type": "array", "items": hex]]],
        ]
    }

    /// The document.
    public static func document() -> JSONValue {
        var paths: [String: JSONValue] = [:]
        for op in operations {
            var o: [String: JSONValue] = ["operationId": .string(op.id), "summary": .string(op.summary)]
            if let c = op.capability {
                o["security"] = [["bearer": []]]
                o["description"] = .string("Needs a bearer token with the `\(c)` capability (docs/API.md, role matrix).")
            } else if op.session {
                o["security"] = [["session": []]]
                o["description"] = .string("Needs a dashboard session of a role with the `dashboard` capability (sign in at `/`).")
            } else {
                o["security"] = []
            }
            if !op.params.isEmpty {
                o["parameters"] = .array(op.params.map { p in
                    ["name": .string(p.name), "in": .string(p.location), "description": .string(p.description),
                     "required": .bool(p.required || p.location == "path"), "schema": p.schema]
                })
            }
            if let body = op.body {
                var content: [String: JSONValue] = [:]
                for t in body.types { content[t] = ["schema": body.schema] }
                o["requestBody"] = ["required": true, "content": .object(content)]
            }
            var responses: [String: JSONValue] = [:]
            for (code, text, media, schema) in op.responses {
                var r: [String: JSONValue] = ["description": .string(text)]
                if let media {
                    let mediaObject: JSONValue = schema.map { JSONValue.object(["schema": $0]) } ?? .object([:])
                    r["content"] = .object([media: mediaObject])
                }
                responses[code] = .object(r)
            }
            o["responses"] = .object(responses)
            var item = paths[op.path]?.objectValue ?? [:]
            item[op.method] = .object(o)
            paths[op.path] = .object(item)
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "IMR Ledger API", "version": "1.0.0",
                     "description": "Appends, the verifiable log feed, projection queries, consumer records with access accounting, checkpoints and proofs. See docs/API.md."],
            "servers": [["url": "/"]],
            "paths": .object(paths),
            "components": [
                "securitySchemes": ["bearer": ["type": "http", "scheme": "bearer",
                                               "description": "A token from `imr token create` (stored hashed)."],
                                    "session": ["type": "apiKey", "in": "cookie", "name": "imr_session",
                                                "description": "The dashboard's session, from signing in at `/` (HttpOnly, SameSite=Strict)."]],
                "schemas": schemas,
            ],
            "security": [["bearer": []]],
        ]
    }
}
