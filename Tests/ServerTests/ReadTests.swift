import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import MerkleLog
import RecordHTTP
import Testing

@Suite("Reads: consumer records, checkpoints and proofs, OpenAPI, metrics")
struct ReadTests {
    @Test("The consumer record applies amendments and hides entries in error; the audit view shows everything")
    func consumerRecord() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let p = client.with(token: fx.tokens[.practitioner])
            let d = Fixture.day(50)
            let amend = try await p.post("/v1/commands/amend-entry", json: Fixture.command(
                EntryAmended(targetEventId: "session-s1.0", consumerId: "c1", kind: .correction, content: ["duration_minutes": 15],
                             reason: "misentered", author: "u1"), on: d))
            #expect(amend.status == 201, "\(amend.text)")
            let mark = try await p.post("/v1/commands/mark-entry-in-error", json: Fixture.command(
                EntryMarkedInError(targetEventId: "session-s2.0", consumerId: "c1", reason: "wrong consumer", author: "u1"), on: d))
            #expect(mark.status == 201, "\(mark.text)")

            let r = try await p.get("/v1/consumers/c1/record")
            #expect(r.status == 200)
            let events = r.object["events"] as? [[String: Any]] ?? []
            let ids = events.compactMap { $0["id"] as? String }
            #expect(ids.contains("session-s1.0"))
            #expect(!ids.contains("session-s2.0"), "an entry in error is hidden")
            let s1 = try #require(events.first { $0["id"] as? String == "session-s1.0" })
            #expect(s1["amended"] as? Bool == true)
            #expect((s1["data"] as? [String: Any])?["duration_minutes"] as? Int == 15)
            #expect(s1["original"] == nil)

            let audit = try await client.with(token: fx.tokens[.auditor]).get("/v1/consumers/c1/record?audit=true")
            #expect(audit.status == 200)
            let all = audit.object["events"] as? [[String: Any]] ?? []
            let s2 = try #require(all.first { $0["id"] as? String == "session-s2.0" })
            #expect(s2["in_error"] as? Bool == true)
            let s1a = try #require(all.first { $0["id"] as? String == "session-s1.0" })
            #expect((s1a["original"] as? [String: Any])?["duration_minutes"] as? Int == 50)
            #expect(all.contains { ($0["type"] as? String)?.hasPrefix("org.imr.entry.amended") == true })
            // Both reads were accounted.
            let access = try fx.log.readStreamEvents(try StreamID("access-c1"), from: 1, limit: 100)
            #expect(access.count == 2)
            #expect(access.last?.data["what"] == ["consumer-record", "audit-view"])
            #expect(access.last?.data["role"] == "auditor")
        }
    }

    @Test("The checkpoint verifies with the log's key; inclusion and consistency proofs verify against it")
    func proofs() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.auditor])
            let verifier = try NoteVerifier(verifierKey: fx.log.verifierKey)
            let cp = try await a.get("/v1/checkpoint")
            #expect(cp.status == 200)
            #expect(cp.headers["content-type"]?.hasPrefix("text/plain") == true)
            let old = try SignedCheckpoint.open(cp.text, verifier: verifier, expectedOrigin: fx.log.origin)
            #expect(old.size == (try fx.size()))

            for position in [0, old.size / 2, old.size - 1] {
                let r = try await a.get("/v1/proofs/inclusion?position=\(position)&size=\(old.size)")
                #expect(r.status == 200)
                let o = r.object
                let event = try #require(o["event"] as? String)
                let leaf = RFC6962.leafHash(Array(event.utf8))
                #expect(leaf.hex == o["leafHash"] as? String)
                #expect(o["rootHash"] as? String == old.rootHash.hex)
                let proof = (o["proof"] as? [String] ?? []).compactMap { Hash(hex: $0) }
                try Proofs.verifyInclusion(leafHash: leaf, index: position, size: old.size, proof: proof, root: old.rootHash)
            }

            // A consumer's event is a read of their record: an administrator (no feed, no
            // consumer record) gets the proof without the event, and nothing is accounted; an
            // auditor's read of it is accounted to the consumer.
            let goal = try #require(try fx.log.readEvents(from: 0, limit: 1000).first { $0.stream.rawValue == "consumer-c1" })
            let accessed = try fx.log.streamVersion(of: try StreamID("access-c1"))
            let admin = try await client.with(token: fx.tokens[.administrator]).get("/v1/proofs/inclusion?position=\(goal.position)")
            #expect(admin.status == 200 && admin.object["event"] == nil && admin.object["leafHash"] as? String == goal.leafHash.hex)
            #expect(try fx.log.streamVersion(of: try StreamID("access-c1")) == accessed)
            let audited = try await a.get("/v1/proofs/inclusion?position=\(goal.position)&purpose=audit")
            #expect(audited.object["event"] as? String == String(decoding: goal.bytes, as: UTF8.self))
            let access = try fx.log.readStreamEvents(try StreamID("access-c1"), from: accessed + 1, limit: 10)
            #expect(access.count == 1 && access.first?.data["what"] == ["proof"], "\(access.map(\.data))")

            // The log grows; the consistency proof shows it extends the checkpoint held.
            let i = client.with(token: fx.tokens[.integrator])
            let before = try fx.size()  // the accounted reads above appended access events
            for k in 0..<5 {
                #expect(try await i.post("/v1/streams/ehr-grow/events?expected-version=\(k)", json: ["type": "com.example.grow.v1", "data": ["k": k]]).status == 201)
            }
            let newer = try SignedCheckpoint.open(try await a.get("/v1/checkpoint").text, verifier: verifier)
            #expect(newer.size == before + 5)
            let c = try await a.get("/v1/proofs/consistency?from=\(old.size)&to=\(newer.size)")
            #expect(c.status == 200)
            let o = c.object
            #expect(o["oldRoot"] as? String == old.rootHash.hex && o["newRoot"] as? String == newer.rootHash.hex)
            let proof = (o["proof"] as? [String] ?? []).compactMap { Hash(hex: $0) }
            try Proofs.verifyConsistency(oldSize: old.size, newSize: newer.size, oldRoot: old.rootHash, newRoot: newer.rootHash, proof: proof)
            // The default `to` is the whole log.
            #expect(try await a.get("/v1/proofs/consistency?from=1").object["newSize"] as? Int == Int(newer.size))
        }
    }

    @Test("/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator) describing exactly the routes served")
    func openAPI() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, server in
            let r = try await client.get("/openapi.json")
            #expect(r.status == 200)
            // Every route the router has is documented, and every documented operation is routed.
            #expect(server.routes == OpenAPIDocument.documentedRoutes,
                    "routed but undocumented: \(Set(server.routes).subtracting(OpenAPIDocument.documentedRoutes)); documented but not routed: \(Set(OpenAPIDocument.documentedRoutes).subtracting(server.routes))")
            let doc = try #require(r.json as? [String: Any])
            let paths = try #require(doc["paths"] as? [String: [String: Any]])
            var documented: [RouteInfo] = []
            for (path, item) in paths { for method in item.keys { documented.append(RouteInfo(method: method.uppercased(), path: path)) } }
            #expect(documented.sorted() == server.routes)
            // …and the live router answers each documented path (never a 404 for a documented route).
            for route in documented {
                let path = route.path.replacingOccurrences(of: "{command}", with: "set-goal").replacingOccurrences(of: "{stream}", with: "ehr-1")
                    .replacingOccurrences(of: "{id}", with: "c1")
                let res = try await client.send(route.method, path, headers: route.method == "POST" ? ["Content-Type": "application/json"] : [:],
                                                body: route.method == "POST" ? Array("{}".utf8) : nil)
                #expect(res.status != 404 && res.status < 500, "\(route): \(res.status)")
            }

            // Validate with a real validator.
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("imr-openapi-\(UUID().uuidString).json")
            try Data(r.body).write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("scripts/validate-openapi.sh")
            let (status, output) = try await offPool { try runProcess(script.path, [file.path], timeoutSeconds: 600) }
            if status == 3 {
                Issue.record("openapi-spec-validator is not available, so the document was NOT validated: \(output)")
            } else {
                #expect(status == 0, "openapi-spec-validator: \(output)")
            }
        }
    }

    @Test("/metrics: Prometheus text with request counts and latencies per route, appends and subscribers, no patient data")
    func metrics() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            _ = try await client.with(token: fx.tokens[.practitioner]).get("/v1/consumers/c1/record")
            _ = try await client.with(token: fx.tokens[.practitioner]).get("/v1/consumers/c2/record")
            _ = try await client.with(token: fx.tokens[.integrator]).post("/v1/streams/ehr-m/events?expected-version=any",
                                                                         json: ["type": "com.example.m.v1", "data": ["x": 1]])
            let m = try await client.with(token: fx.tokens[.administrator]).get("/metrics")
            #expect(m.status == 200)
            #expect(m.headers["content-type"]?.hasPrefix("text/plain") == true)
            let text = m.text
            #expect(text.contains("imr_http_requests_total"))
            #expect(text.contains("imr_http_request_duration_seconds"))
            #expect(text.contains("imr_appended_events_total"))
            #expect(text.contains("imr_feed_subscribers"))
            #expect(text.contains("imr_access_events_total"))
            #expect(text.contains("/v1/consumers/{id}/record") || text.contains("/v1/consumers/:id/record"))
            #expect(!text.contains("c1") && !text.contains("c2") && !text.contains("ehr-m"), "no identifiers in labels")
        }
    }
}

/// Runs a program with a deadline; returns its exit status and combined output.
func runProcess(_ path: String, _ args: [String], timeoutSeconds: Double) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    try p.run()
    let deadline = Date().addingTimeInterval(timeoutSeconds)
    let output = ManagedBuffer()
    let reader = Thread { output.set(pipe.fileHandleForReading.readDataToEndOfFile()) }
    reader.start()
    while p.isRunning && Date() < deadline { usleep(100_000) }
    if p.isRunning {
        p.terminate()
        p.waitUntilExit()
        return (124, "timed out after \(Int(timeoutSeconds)) s")
    }
    p.waitUntilExit()
    while !output.isSet { usleep(10_000) }
    return (p.terminationStatus, String(decoding: output.data, as: UTF8.self))
}

final class ManagedBuffer: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Data?
    func set(_ d: Data) { lock.lock(); value = d; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value != nil }
    var data: Data { lock.lock(); defer { lock.unlock() }; return value ?? Data() }
}
