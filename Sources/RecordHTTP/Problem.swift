import CanonicalJSON
import ClinicalRecord
import EventLog
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// An RFC 9457 problem: every error response of the API is one, as `application/problem+json`.
///
/// `type` is `urn:imr-ledger:problem:<code>`; `errors` (when present) lists the fields at
/// fault as `{field, rule, message}`. Messages never quote submitted values: they may be
/// patient data.
public struct Problem: Error, Sendable {
    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable problem code (the last part of `type`), e.g. `wrong-expected-version`.
    public var code: String
    /// A short human-readable summary of the problem type.
    public var title: String
    /// A human-readable explanation of this occurrence.
    public var detail: String?
    /// Field errors, `{field, rule, message}`.
    public var errors: [RecordError.Violation] = []
    /// Further members (e.g. `expected`, `actual`, `stream`).
    public var extra: [String: JSONValue] = [:]
    /// Extra response headers (e.g. `WWW-Authenticate`).
    public var headers: HTTPFields = [:]

    /// Makes a problem.
    public init(_ status: HTTPResponse.Status, _ code: String, _ title: String, detail: String? = nil,
                errors: [RecordError.Violation] = [], extra: [String: JSONValue] = [:]) {
        self.status = status; self.code = code; self.title = title; self.detail = detail
        self.errors = errors; self.extra = extra
    }

    /// The problem's JSON body.
    public var body: JSONValue {
        var o = extra
        o["type"] = .string("urn:imr-ledger:problem:" + code)
        o["title"] = .string(title)
        o["status"] = .number(Double(status.code))
        if let detail { o["detail"] = .string(detail) }
        if !errors.isEmpty {
            o["errors"] = .array(errors.map { v in
                var e: [String: JSONValue] = ["rule": .string(v.rule), "message": .string(v.message)]
                e["field"] = v.field.map(JSONValue.string) ?? .null
                return .object(e)
            })
        }
        return .object(o)
    }

    /// The response.
    public var response: Response {
        var h = headers
        h[.contentType] = "application/problem+json"
        h[.cacheControl] = "no-store"
        return Response(status: status, headers: h, body: .init(byteBuffer: ByteBuffer(bytes: body.canonicalBytes)))
    }

    // MARK: Common problems

    static func badRequest(_ code: String, field: String?, rule: String, _ message: String) -> Problem {
        Problem(.badRequest, code, "Bad request", detail: message, errors: [.init(rule: rule, field: field, message: message)])
    }

    static func parameter(_ name: String, _ message: String) -> Problem {
        badRequest("invalid-parameter", field: name, rule: "parameter.invalid", message)
    }

    static let unauthorized: Problem = {
        var p = Problem(.unauthorized, "unauthorized", "Authentication required",
                        detail: "send a valid bearer token: Authorization: Bearer <token>")
        p.headers[.wwwAuthenticate] = "Bearer realm=\"imr-ledger\""
        return p
    }()

    static let invalidToken: Problem = {
        var p = Problem(.unauthorized, "unauthorized", "Authentication required", detail: "the bearer token is unknown or revoked")
        p.headers[.wwwAuthenticate] = "Bearer realm=\"imr-ledger\", error=\"invalid_token\""
        return p
    }()

    static func forbidden(_ detail: String) -> Problem {
        Problem(.forbidden, "forbidden", "Not allowed for this token", detail: detail)
    }

    static func notFound(_ detail: String) -> Problem {
        Problem(.notFound, "not-found", "Not found", detail: detail)
    }

    /// The problem for a refused command.
    static func from(_ error: RecordError) -> Problem {
        switch error.kind {
        case .conflict:
            Problem(.conflict, "conflict", "The record changed or the command id was reused", detail: error.description,
                    errors: error.violations)
        case .invalid:
            Problem(.unprocessableContent, "invalid-command", "The command is malformed", detail: "see errors",
                    errors: error.violations)
        case .invariant:
            Problem(.unprocessableContent, "rule-violated", "The record's rules refuse the command", detail: "see errors",
                    errors: error.violations)
        }
    }

    /// The problem for a refused append (or a storage failure).
    static func from(_ error: EventLogError) -> Problem {
        switch error.code {
        case .wrongExpectedVersion:
            var extra: [String: JSONValue] = [:]
            if let s = error.stream { extra["stream"] = .string(s.rawValue) }
            if let e = error.expected { extra["expected"] = .string(e.description) }
            if let a = error.actual { extra["actual"] = .number(Double(a)) }
            return Problem(.conflict, "wrong-expected-version", "The stream is not at the expected version",
                           detail: error.message, errors: [.init(rule: "wrong-expected-version", field: "expected-version", message: error.message)],
                           extra: extra)
        case .idempotencyConflict:
            return Problem(.conflict, "idempotency-conflict", "An event id is already stored with other content",
                           detail: error.message, errors: [.init(rule: "idempotency-conflict", field: "id", message: error.message)])
        case .invalidEvent, .eventTooLarge:
            return Problem(.unprocessableContent, error.code.description, "The event breaks a rule of the stored format",
                           detail: "see errors", errors: [.init(rule: error.code.description, field: error.field, message: error.message)])
        case .logFull:
            return Problem(.init(code: 507, reasonPhrase: "Insufficient Storage"), "log-full", "The log is full")
        case .readOnly:
            return Problem(.serviceUnavailable, "read-only", "The store is read-only")
        default:
            return Problem(.internalServerError, "storage", "The store failed", detail: "the server log has details")
        }
    }
}
