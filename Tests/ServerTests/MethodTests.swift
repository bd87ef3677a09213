import Foundation
import RecordHTTP
import Testing

@Suite("Routing: a method a routed path does not answer is 405 with Allow; an unknown path is 404")
struct MethodTests {
    @Test("A wrong method on a routed path is 405 Method Not Allowed, with Allow and an RFC 9457 problem; nothing is written")
    func wrongMethodIs405() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let before = try fx.size()
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.administrator])
            let cases: [(method: String, path: String, allow: String)] = [
                ("DELETE", "/v1/feed", "GET"),
                ("POST", "/v1/caseload", "GET"),
                ("PUT", "/v1/consumers/c1/record", "GET"),
                ("GET", "/v1/commands/set-goal", "POST"),
                ("DELETE", "/v1/streams/ehr%2Fimport-1/events", "POST"),
                ("PATCH", "/healthz", "GET, HEAD"),
                ("DELETE", "/", "GET"),
                ("GET", "/session", "POST"),
                ("OPTIONS", "/openapi.json", "GET"),
            ]
            var failures: [String] = []
            for c in cases {
                // With and without a token: which methods a path answers is public (/openapi.json).
                for who in [a, client] {
                    let r = try await who.send(c.method, c.path, body: c.method == "GET" || c.method == "OPTIONS" ? nil : [])
                    let name = "\(c.method) \(c.path)"
                    if r.status != 405 { failures.append("\(name): \(r.status), expected 405: \(r.text.prefix(200))") }
                    if r.headers["allow"] != c.allow { failures.append("\(name): Allow \(r.headers["allow"] ?? "none"), expected \(c.allow)") }
                    if r.headers["content-type"] != "application/problem+json" {
                        failures.append("\(name): content type \(r.headers["content-type"] ?? "none")")
                    }
                    let problem = r.object
                    if problem["type"] as? String != "urn:imr-ledger:problem:method-not-allowed" || problem["status"] as? Int != 405
                        || !(problem["title"] is String)
                    {
                        failures.append("\(name): not the 405 problem: \(r.text.prefix(200))")
                    }
                    let errors = problem["errors"] as? [[String: Any]] ?? []
                    if errors.first?["field"] as? String != "method" || errors.first?["rule"] as? String != "method.not-allowed" {
                        failures.append("\(name): errors do not name the field and the rule: \(r.text.prefix(200))")
                    }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            #expect(try fx.size() == before, "nothing was written")
        }
    }

    @Test("HEAD is served on /healthz only: another GET route answers HEAD with 405 and Allow, without a body")
    func headOnGetRoutes() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let before = try fx.size()
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.auditor])
            let health = try await client.send("HEAD", "/healthz")
            #expect(health.status == 200 && health.body.isEmpty)
            for path in ["/v1/feed", "/v1/feed/live", "/v1/caseload", "/v1/consumers/c1/record", "/openapi.json", "/"] {
                let r = try await a.send("HEAD", path)
                #expect(r.status == 405, "HEAD \(path): \(r.status)")
                #expect(r.headers["allow"] == "GET", "HEAD \(path): \(r.headers["allow"] ?? "no Allow")")
                #expect(r.body.isEmpty, "HEAD \(path): a HEAD answer has no body")
            }
            // Nothing was read, so no access event was written.
            #expect(try fx.size() == before)
        }
    }

    @Test("An unknown path stays 404, whatever the method; the 405 is counted under its route template")
    func unknownPathIs404() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.administrator])
            for (method, path) in [("GET", "/v1/nothing-here"), ("DELETE", "/v1/nothing-here"), ("HEAD", "/v1/nothing-here"),
                                   ("POST", "/v1/feed/live/more"), ("GET", "/v1/consumers/c1")] {
                let r = try await a.send(method, path, body: method == "POST" ? [] : nil)
                #expect(r.status == 404, "\(method) \(path): \(r.status)")
                #expect(r.headers["allow"] == nil, "\(method) \(path)")
                #expect(r.headers["content-type"] == "application/problem+json", "\(method) \(path)")
                if method != "HEAD" { #expect(r.object["type"] as? String == "urn:imr-ledger:problem:not-found", "\(method) \(path)") }
            }
            _ = try await a.send("DELETE", "/v1/consumers/c1/record")
            let metrics = try await a.get("/metrics").text
            let counted = metrics.split(separator: "\n").filter { $0.hasPrefix("imr_http_requests_total") && $0.contains("\"405\"") }
            #expect(counted.contains { $0.contains("DELETE") && ($0.contains("/v1/consumers/{id}/record") || $0.contains("/v1/consumers/:id/record")) },
                    "\(counted)")
            #expect(!metrics.contains("c1"), "no identifiers in labels")
        }
    }

    @Test("A method outside HTTP's standard ones is counted as `other`: what a client sends as its method never becomes a label")
    func unknownMethodLabel() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.administrator])
            for method in ["BREW", "CONSUMER-C42", "PROPFIND"] {
                let r = try await a.send(method, "/v1/caseload")
                #expect(r.status == 405 || r.status == 400 || r.status == 404 || r.status == 501, "\(method): \(r.status)")
            }
            let metrics = try await a.get("/metrics").text
            let counted = metrics.split(separator: "\n").filter { $0.hasPrefix("imr_http_request") }
            #expect(!counted.contains { $0.contains("BREW") || $0.contains("CONSUMER-C42") || $0.contains("PROPFIND") }, "\(counted)")
            #expect(counted.contains { $0.hasPrefix("imr_http_requests_total") && $0.contains("method=\"other\"") }, "\(counted)")
        }
    }
}
