import ClinicalRecord
import EventLog
import Foundation
import RecordHTTP
import Testing

@Suite("Appends: 201, 409, 422, and bad requests that never write")
struct AppendTests {
    @Test("Commands: 201 with positions, a retry of the same command id 200, a reused id 409, a rule 422")
    func commands() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let p = client.with(token: fx.tokens[.practitioner])
            let d = Fixture.day(40)
            let body = try Fixture.command(GoalSet(goalId: "g-new", consumerId: "c2", text: "see friends", date: d), on: d, id: "cmd-goal-1")
            let before = try fx.size()
            let r = try await p.post("/v1/commands/set-goal", json: body)
            #expect(r.status == 201, "\(r.text)")
            let events = r.object["events"] as? [[String: Any]] ?? []
            #expect(events.count == 1)
            #expect(events.first?["position"] as? Int == Int(before))
            #expect(events.first?["stream"] as? String == "consumer-c2")
            let stored = try #require(try fx.log.readEvents(from: before, limit: 1).first)
            #expect(stored.recordedBy == fx.users[.practitioner] && stored.recordedRole == "practitioner")

            let retry = try await p.post("/v1/commands/set-goal", json: body)
            #expect(retry.status == 200)
            #expect(retry.object["duplicate"] as? Bool == true)
            #expect((retry.object["events"] as? [[String: Any]])?.first?["position"] as? Int == Int(before))

            let size = try fx.size()
            var reused = body
            reused["text"] = "something else"
            let conflict = try await p.post("/v1/commands/set-goal", json: reused)
            #expect(conflict.status == 409)
            #expect(conflict.headers["content-type"] == "application/problem+json")
            #expect((conflict.object["errors"] as? [[String: Any]])?.first?["rule"] as? String == "command.id-reused")

            // A rule of the record: no goal for a consumer who is not enrolled.
            let rule = try await p.post("/v1/commands/set-goal", json: Fixture.command(GoalSet(goalId: "g-x", consumerId: "nobody", text: "t", date: d), on: d))
            #expect(rule.status == 422)
            let errors = rule.object["errors"] as? [[String: Any]] ?? []
            #expect(!errors.isEmpty && errors.allSatisfy { $0["rule"] is String && $0["message"] is String && $0.keys.contains("field") })

            // A malformed command: field errors name the field and the rule.
            var missing = body
            missing.removeValue(forKey: "consumer_id")
            missing.removeValue(forKey: "command_id")
            let invalid = try await p.post("/v1/commands/set-goal", json: missing)
            #expect(invalid.status == 422)
            #expect((invalid.object["errors"] as? [[String: Any]])?.first?["field"] as? String == "consumer_id")
            #expect((invalid.object["errors"] as? [[String: Any]])?.first?["rule"] as? String == "field.required")
            #expect(try fx.size() == size)
        }
    }

    @Test("Raw events: 201 with positions; a wrong expected version is 409 with expected and actual")
    func rawEvents() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let i = client.with(token: fx.tokens[.integrator])
            let before = try fx.size()
            let r = try await i.post("/v1/streams/ehr-import-1/events?expected-version=no-stream", json: [
                ["type": "com.example.ehr.visit.v1", "id": "v-1", "time": "2025-03-01T10:00:00Z", "data": ["visit": 1]],
                ["type": "com.example.ehr.visit.v1", "id": "v-2", "time": "2025-03-02T10:00:00Z", "data": ["visit": 2]],
            ], headers: ["Content-Type": "application/cloudevents-batch+json"])
            #expect(r.status == 201, "\(r.text)")
            #expect(r.object["positions"] as? [Int] == [Int(before), Int(before) + 1])
            #expect(r.object["versions"] as? [Int] == [1, 2])

            let size = try fx.size()
            let conflict = try await i.post("/v1/streams/ehr-import-1/events", json: ["type": "com.example.ehr.visit.v1", "data": ["visit": 3]],
                                            headers: ["Expected-Version": "1"])
            #expect(conflict.status == 409)
            #expect(conflict.object["expected"] as? String == "1")
            #expect(conflict.object["actual"] as? Int == 2)
            #expect(conflict.object["stream"] as? String == "ehr-import-1")
            // Same id, other content: 409; same id and content: a safe retry.
            let other = try await i.post("/v1/streams/ehr-import-1/events?expected-version=any",
                                         json: ["type": "com.example.ehr.visit.v1", "id": "v-1", "time": "2025-03-01T10:00:00Z", "data": ["visit": 99]])
            #expect(other.status == 409)
            #expect(try fx.size() == size)
            // The conflict names the field, never the id (an EHR's ids may hold a record number).
            #expect(other.text.contains("an event with this id and source is already stored") && !other.text.contains("v-1"), "\(other.text)")
            let ok = try await i.post("/v1/streams/ehr-import-1/events?expected-version=2", json: ["type": "com.example.ehr.visit.v1", "data": ["visit": 3]])
            #expect(ok.status == 201)
            // A stream id holding `/` or `:` is sent percent-encoded in the path.
            let slashed = try await i.post("/v1/streams/ehr%2Fimport%3A7/events?expected-version=no-stream",
                                           json: ["type": "com.example.ehr.visit.v1", "data": ["visit": 1]])
            #expect(slashed.status == 201, "\(slashed.text)")
            #expect(slashed.object["stream"] as? String == "ehr/import:7")
            #expect(try fx.log.streamVersion(of: try StreamID("ehr/import:7")) == 1)
            // A percent sign that is not an escape stays a bad stream id.
            #expect(try await i.post("/v1/streams/ehr%2/events?expected-version=any", json: ["type": "com.example.ehr.visit.v1", "data": [:] as [String: Any]]).status == 400)
        }
    }

    @Test("Raw events: a retry without time is a safe retry; every missing member is named; body errors are invalid-event")
    func rawEventRetriesAndErrors() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let i = client.with(token: fx.tokens[.integrator])
            let event: [String: Any] = ["type": "com.example.ehr.visit.v1", "id": "retry-1", "data": ["visit": 1]]
            let first = try await i.post("/v1/streams/ehr-retry-1/events?expected-version=no-stream", json: event)
            #expect(first.status == 201, "\(first.text)")
            let size = try fx.size()
            try await Task.sleep(for: .milliseconds(5))  // a later "now"
            let retry = try await i.post("/v1/streams/ehr-retry-1/events?expected-version=no-stream", json: event)
            #expect(retry.status == 200, "\(retry.text)")
            #expect(retry.object["duplicate"] as? Bool == true)
            #expect(retry.object["positions"] as? [Int] == first.object["positions"] as? [Int])
            // Other content under the id is still a conflict.
            let other = try await i.post("/v1/streams/ehr-retry-1/events?expected-version=any",
                                         json: ["type": "com.example.ehr.visit.v1", "id": "retry-1", "data": ["visit": 2]])
            #expect(other.status == 409)

            let both = try await i.post("/v1/streams/ehr-retry-2/events?expected-version=any", json: ["id": "x-1"])
            #expect(both.status == 422)
            let fields = ((both.json as? [String: Any])?["errors"] as? [[String: Any]] ?? []).compactMap { $0["field"] as? String }
            #expect(Set(fields) == ["type", "data"])
            let many = "[" + Array(repeating: #"{"type":"com.example.x.v1","data":{}}"#, count: 10_001).joined(separator: ",") + "]"
            for body in ["[]", "5", many] {
                let r = try await i.send("POST", "/v1/streams/ehr-retry-2/events?expected-version=any",
                                         headers: ["Content-Type": "application/json"], body: Array(body.utf8))
                #expect(r.status == 422)
                #expect((r.json as? [String: Any])?["type"] as? String == "urn:imr-ledger:problem:invalid-event", "\(r.text.prefix(200))")
            }
            #expect(try fx.size() == size)
        }
    }

    @Test("Malformed bodies, wrong content types, huge bodies, bad cursors: a 4xx problem, never a 5xx, nothing written")
    func badRequests() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer(options: { var o = Fixture.options; o.maxBodyBytes = 64 * 1024; return o }()) { client, _ in
            let before = try fx.size()
            let p = client.with(token: fx.tokens[.practitioner]), i = client.with(token: fx.tokens[.integrator])
            let a = client.with(token: fx.tokens[.auditor])
            let json = ["Content-Type": "application/json"]
            let huge = [UInt8](repeating: 0x20, count: 200 * 1024)
            let goal = Array(try JSONSerialization.data(withJSONObject: try Fixture.command(
                GoalSet(goalId: "g-z", consumerId: "c1", text: "t", date: Fixture.day(40)), on: Fixture.day(40))))
            let cases: [(String, Int, () async throws -> HTTPResult)] = [
                ("truncated JSON", 400, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: Array("{\"goal_id\":".utf8)) }),
                ("not UTF-8", 400, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: [0x7B, 0xFF, 0x7D]) }),
                ("duplicate keys", 400, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: Array("{\"a\":1,\"a\":2}".utf8)) }),
                ("empty body", 400, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: []) }),
                ("an array", 422, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: Array("[1,2]".utf8)) }),
                ("text/plain", 415, { try await p.send("POST", "/v1/commands/set-goal", headers: ["Content-Type": "text/plain"], body: goal) }),
                ("no content type", 415, { try await p.send("POST", "/v1/commands/set-goal", body: goal) }),
                ("form data", 415, { try await p.send("POST", "/v1/commands/set-goal", headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array("a=1".utf8)) }),
                ("body over the limit", 413, { try await p.send("POST", "/v1/commands/set-goal", headers: json, body: huge) }),
                ("declared length over the limit", 413, {
                    try await p.send("POST", "/v1/commands/set-goal", headers: ["Content-Type": "application/json", "Content-Length": "104857600"], body: Array("{}".utf8))
                }),
                ("unknown command", 422, { try await p.post("/v1/commands/launch-rocket", json: ["occurred_at": "2025-01-01T00:00:00Z"]) }),
                ("command in the future", 422, { try await p.post("/v1/commands/set-goal", json: ["occurred_at": "2099-01-01T00:00:00Z", "goal_id": "g", "consumer_id": "c1", "text": "t", "date": "2099-01-01"]) }),
                ("unknown member", 422, { try await p.post("/v1/commands/set-goal", json: (try Fixture.command(GoalSet(goalId: "g-y", consumerId: "c1", text: "t", date: Fixture.day(40)), on: Fixture.day(40))).merging(["colour": "red"]) { a, _ in a }) }),
                ("raw: no expected version", 400, { try await i.post("/v1/streams/ehr-1/events", json: ["type": "com.example.x.v1", "data": [:] as [String: Any]]) }),
                ("raw: bad expected version", 400, { try await i.post("/v1/streams/ehr-1/events?expected-version=soon", json: ["type": "com.example.x.v1", "data": [:] as [String: Any]]) }),
                ("raw: bad stream id", 400, { try await i.post("/v1/streams/-bad/events?expected-version=any", json: ["type": "com.example.x.v1", "data": [:] as [String: Any]]) }),
                ("raw: reserved type", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: ["type": "org.imr.session.recorded.v1", "data": [:] as [String: Any]]) }),
                ("raw: bad type", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: ["type": "Not A Type", "data": [:] as [String: Any]]) }),
                ("raw: data not an object", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: ["type": "com.example.x.v1", "data": 5]) }),
                ("raw: bad time", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: ["type": "com.example.x.v1", "time": "yesterday", "data": [:] as [String: Any]]) }),
                ("raw: unknown member", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: ["type": "com.example.x.v1", "data": [:] as [String: Any], "subject": "x"]) }),
                ("raw: empty batch", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: [] as [Any]) }),
                ("raw: one bad event spoils the batch", 422, { try await i.post("/v1/streams/ehr-1/events?expected-version=any", json: [["type": "com.example.x.v1", "data": [:] as [String: Any]], ["type": "com.example.x.v1"]]) }),
                ("raw: access stream", 403, { try await i.post("/v1/streams/access-c1/events?expected-version=any", json: ["type": "com.example.x.v1", "data": [:] as [String: Any]]) }),
                ("feed: cursor not a number", 400, { try await a.get("/v1/feed?from=abc") }),
                ("feed: negative cursor", 400, { try await a.get("/v1/feed?from=-1") }),
                ("feed: cursor past the end", 400, { try await a.get("/v1/feed?from=99999999") }),
                ("feed: huge cursor", 400, { try await a.get("/v1/feed?from=999999999999999999999999") }),
                ("feed: limit 0", 400, { try await a.get("/v1/feed?limit=0") }),
                ("feed: limit too large", 400, { try await a.get("/v1/feed?limit=100000") }),
                ("live: bad Last-Event-ID", 400, { try await a.get("/v1/feed/live", headers: ["Last-Event-ID": "abc"]) }),
                ("live: Last-Event-ID past the end", 400, { try await a.get("/v1/feed/live", headers: ["Last-Event-ID": "99999999"]) }),
                ("proof: position past the end", 400, { try await a.get("/v1/proofs/inclusion?position=99999") }),
                ("proof: no position", 400, { try await a.get("/v1/proofs/inclusion") }),
                ("proof: size past the end", 400, { try await a.get("/v1/proofs/inclusion?position=0&size=99999") }),
                ("proof: from 0", 400, { try await a.get("/v1/proofs/consistency?from=0") }),
                ("proof: from after to", 400, { try await a.get("/v1/proofs/consistency?from=5&to=3") }),
                ("query: bad date", 400, { try await a.get("/v1/goals?from=2025-13-45") }),
                ("query: bad as-of", 400, { try await a.get("/v1/participation?as-of=last-week") }),
                ("query: as-of past the end", 400, { try await a.get("/v1/caseload?as-of=99999999") }),
                ("query: bad program", 400, { try await a.get("/v1/caseload?program=%20bad") }),
                ("fidelity without a program", 400, { try await a.get("/v1/fidelity") }),
                ("fidelity of a program not in the record", 404, { try await a.get("/v1/fidelity?program=nope") }),
                ("fidelity of a program before it was added", 404, { try await a.get("/v1/fidelity?program=p2&as-of=0") }),
                ("consumer: bad id", 400, { try await a.get("/v1/consumers/%2Dbad/record") }),
                ("consumer: unknown", 404, { try await a.get("/v1/consumers/nobody/record") }),
                ("consumer: bad audit flag", 400, { try await a.get("/v1/consumers/c1/record?audit=maybe") }),
                ("no such route", 404, { try await a.get("/v1/nothing-here") }),
                ("wrong method", 405, { try await a.send("DELETE", "/v1/feed") }),
            ]
            var failures: [String] = []
            for (name, expected, run) in cases {
                let r = try await run()
                let problem = r.object
                if r.status != expected { failures.append("\(name): \(r.status), expected \(expected): \(r.text.prefix(200))") }
                if r.headers["content-type"] != "application/problem+json" { failures.append("\(name): content type \(r.headers["content-type"] ?? "none")") }
                if problem["status"] as? Int != r.status || !(problem["type"] is String) || !(problem["title"] is String) {
                    failures.append("\(name): not an RFC 9457 problem: \(r.text.prefix(200))")
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            #expect(try fx.size() == before, "nothing was written")
            // A body that is no event, or no events at all, names the body itself as the field.
            for body in ["[]", "42"] {
                let r = try await i.send("POST", "/v1/streams/ehr-1/events?expected-version=any",
                                         headers: ["Content-Type": "application/json"], body: Array(body.utf8))
                let error = (r.object["errors"] as? [[String: Any]])?.first
                #expect(r.status == 422 && error?["field"] as? String == "$", "\(r.text)")
            }
            // An unknown member whose name could be patient data is not repeated in the error.
            let named = try await i.post("/v1/streams/ehr-1/events?expected-version=any",
                                         json: [["type": "com.example.x.v1", "data": [:] as [String: Any], "Jane Doe, DOB 1980-02-03": true]])
            let namedError = (named.object["errors"] as? [[String: Any]])?.first
            #expect(named.status == 422 && namedError?["field"] as? String == "[0].<name withheld>", "\(named.text)")
            #expect(!named.text.contains("Jane"))
            #expect(try fx.size() == before, "nothing was written")
            // Reports at the calendar's first days answer; they do not stop the server.
            #expect(try await a.get("/v1/fidelity?program=p1&to=1900-01-01").status == 200)
            #expect(try await a.get("/healthz").status == 200)
        }
    }
}
