import CanonicalJSON
import ClinicalRecord
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore

/// The query parameters of a request, percent-decoded (`+` is a space).
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ uri: URI) {
        guard let query = uri.query, !query.isEmpty else { return }
        for pair in query.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ s: Substring) -> String {
                // Most parameters need no decoding: skip Foundation's (slow) string functions then.
                guard s.utf8.contains(where: { $0 == 0x25 || $0 == 0x2B }) else { return String(s) }
                return String(s).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(s)
            }
            let key = decode(kv[0])
            if values[key] == nil { values[key] = kv.count > 1 ? decode(kv[1]) : "" }
        }
    }

    subscript(_ name: String) -> String? { values[name] }

    /// A non-negative integer parameter, or nil when absent.
    func position(_ name: String) throws(Problem) -> UInt64? {
        guard let text = values[name] else { return nil }
        guard let n = UInt64(text), text.utf8.count <= 19 else {
            throw Problem.parameter(name, "\(name) must be a non-negative integer")
        }
        return n
    }

    /// A date parameter (YYYY-MM-DD), or nil when absent.
    func date(_ name: String) throws(Problem) -> LocalDate? {
        guard let text = values[name] else { return nil }
        guard let d = LocalDate(text) else { throw Problem.parameter(name, "\(name) must be a date YYYY-MM-DD") }
        return d
    }

    /// A boolean parameter (`true`/`false`/`1`/`0`), default false.
    func flag(_ name: String) throws(Problem) -> Bool {
        guard let text = values[name] else { return false }
        switch text.lowercased() {
        case "true", "1", "yes", "": return true
        case "false", "0", "no": return false
        default: throw Problem.parameter(name, "\(name) must be true or false")
        }
    }
}

extension RecordServer {
    /// Collects a JSON body: checks the media type (415), the size (413) and the grammar (400).
    func readJSON(_ request: Request, accepting types: [String]) async throws -> JSONValue {
        let contentType = request.headers[.contentType].flatMap { $0.split(separator: ";").first }.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        guard let contentType, types.contains(contentType) else {
            throw Problem(.unsupportedMediaType, "unsupported-media-type", "Unsupported media type",
                          detail: "send " + types.joined(separator: " or "),
                          errors: [.init(rule: "content-type", field: "Content-Type", message: "must be " + types.joined(separator: " or "))])
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > options.maxBodyBytes {
            throw tooLarge
        }
        let buffer: ByteBuffer
        do { buffer = try await request.body.collect(upTo: options.maxBodyBytes) } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
        do {
            return try JSONValue(parsing: buffer.readableBytesView)
        } catch {
            throw Problem(.badRequest, "malformed-json", "The body is not valid JSON", detail: error.description,
                          errors: [.init(rule: "json.\(error.rule)", field: error.path.isEmpty ? nil : error.path, message: "the body is not valid JSON (I-JSON, RFC 7493)")])
        }
    }

    var tooLarge: Problem {
        Problem(.contentTooLarge, "body-too-large", "The request body is too large",
                detail: "the limit is \(options.maxBodyBytes) bytes")
    }

    /// The purpose of a read of consumer data: the `purpose` parameter (of `params`, the
    /// request's query already parsed) or the `IMR-Purpose` header, default `treatment`.
    func purpose(_ request: Request, _ params: QueryParameters) throws(Problem) -> String {
        let text = params["purpose"] ?? request.headers[Self.purposeHeader] ?? "treatment"
        // Printable ASCII (the usual case) has no control character; anything else is checked
        // scalar by scalar.
        // The access event's rules (Decide) are checked here too, so that a purpose it would
        // refuse is the client's 400 and not a failed accounting (503).
        // Bytes that are not UTF-8 reach us as U+FFFD (the HTTP layer decodes header values
        // leniently): refused, so that the access event never keeps a purpose the client did
        // not write.
        let plain = text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
        guard text.contains(where: { !$0.isWhitespace }), text.utf8.count <= 400,
              plain || !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || $0 == "\u{FFFD}" }) else {
            throw Problem.parameter("purpose", "purpose must be text of 1-400 UTF-8 bytes, not only spaces, without control characters")
        }
        return text
    }

    static let purposeHeader = HTTPField.Name("IMR-Purpose")!
}
