import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import RecordHTTP
import Testing

/// The query path serves repeated queries without redoing work (scripts/load-bench.sh), but
/// never at the cost of an answer older than the log.
@Suite("Queries under repetition: every answer reflects the log as it stands")
struct QueryFreshnessTests {
    static func practitioners(_ r: HTTPResult, program: String) -> Int {
        let rows = r.object["practitioners"] as? [[String: Any]] ?? []
        return rows.filter { $0["program"] as? String == program }.count
    }

    @Test("Identical queries answer identically while the log stands still; an append between them shows in the next answer")
    func repeatedQueriesFollowAppends() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, server in
            let auditor = client.with(token: fx.tokens[.auditor])
            let path = "/v1/caseload?program=p1&to=\(Fixture.day(30))"
            let first = try await auditor.get(path)
            let second = try await auditor.get(path)
            #expect(first.status == 200 && second.status == 200)
            #expect(first.body == second.body, "nothing was appended in between")
            #expect(first.object["position"] as? Int == Int(try fx.size()))
            #expect(Self.practitioners(first, program: "p1") == 2)
            let fidelityPath = "/v1/fidelity?program=p1&to=\(Fixture.day(30))"
            let f1 = try await auditor.get(fidelityPath)
            let f2 = try await auditor.get(fidelityPath)
            #expect(f1.status == 200 && f1.body == f2.body)

            // A new practitioner in p1, through the HTTP API: the next identical query shows it.
            let joined = try await client.with(token: fx.tokens[.administrator]).post("/v1/commands/add-practitioner", json: Fixture.command(
                PractitionerJoined(practitionerId: "pr3", programId: "p1", teamId: "t1", role: .practitioner, startDate: Fixture.day(20)),
                on: Fixture.day(20)))
            #expect(joined.status == 201, "\(joined.text)")
            let third = try await auditor.get(path)
            #expect(third.status == 200)
            #expect(third.object["position"] as? Int == Int(try fx.size()))
            #expect(Self.practitioners(third, program: "p1") == 3)

            // An append by another writer of the same log (not through this server's routes)
            // also shows at once: the query catches the projections up when they are behind.
            _ = try await fx.log.append([EventDraft(id: "ext-1", source: "/test", type: "com.example.other.v1", time: "2025-02-01T10:00:00Z",
                                                    data: ["n": 1], recordedBy: "t", recordedRole: "integrator")],
                                        to: try StreamID("ext-stream"), expecting: .noStream)
            let fourth = try await auditor.get(path)
            #expect(fourth.object["position"] as? Int == Int(try fx.size()))
            #expect(server.views.position == (try fx.size()))
            // Another program, another day: answers of their own.
            let p2 = try await auditor.get("/v1/caseload?program=p2&to=\(Fixture.day(30))")
            #expect(Self.practitioners(p2, program: "p2") == 1)
            #expect(Self.practitioners(p2, program: "p1") == 0)
            let early = try await auditor.get("/v1/caseload?program=p1&to=\(Fixture.day(10))")
            #expect(Self.practitioners(early, program: "p1") == 2, "pr3 started on day 20")
        }
    }

    @Test("A participation report without a start date covers the whole record and has no `from`; with one, `from` is that date")
    func participationPeriod() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let auditor = client.with(token: fx.tokens[.auditor])
            let whole = try await auditor.get("/v1/participation?program=p1")
            #expect(whole.status == 200, "\(whole.text)")
            #expect(whole.object["from"] == nil, "\(whole.text)")
            // A program the record does not hold is a 404 for every report, not an empty answer.
            for kind in ["participation", "caseload", "goals", "fidelity"] {
                let none = try await auditor.get("/v1/\(kind)?program=no-such-program")
                #expect(none.status == 404, "\(kind): \(none.text)")
                #expect(none.text.contains("the program is not in the record") && !none.text.contains("no-such-program"), "\(kind): \(none.text)")
            }
            let since = try await auditor.get("/v1/participation?program=p1&from=\(Fixture.day(10))")
            #expect(since.object["from"] as? String == Fixture.day(10).description, "\(since.text)")
        }
    }

    @Test("Goal and participation queries account every read, even when the answer is reused")
    func repeatedConsumerQueriesAreAccounted() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let p = client.with(token: fx.tokens[.practitioner])
            let path = "/v1/participation?program=p1&to=\(Fixture.day(30))"
            let before = try fx.log.streamVersion(of: try StreamID("access-c1"))
            let a = try await p.get(path)
            let b = try await p.get(path)
            #expect(a.status == 200 && b.status == 200)
            let after = try fx.log.streamVersion(of: try StreamID("access-c1"))
            #expect(after == before + 2, "each read is accounted: \(before) → \(after)")
            // The answers differ only in the position (the access events moved the log on).
            #expect((a.object["position"] as? Int ?? 0) < (b.object["position"] as? Int ?? 0))
            #expect(b.object["position"] as? Int == Int(try fx.size()) - 2, "the second answer was computed before its own two access events")
        }
    }

    @Test("A token created on a running server works at once, and stops at once when revoked")
    func tokenFileReload() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, server in
            for n in 0..<3 {
                let (token, record) = try server.tokens.create(role: .auditor, user: "rotating-\(n)")
                #expect(try await client.with(token: token).get("/v1/caseload").status == 200)
                #expect(try server.tokens.revoke(id: record.id))
                #expect(try await client.with(token: token).get("/v1/caseload").status == 401)
            }
            #expect(try await client.with(token: fx.tokens[.auditor]).get("/v1/caseload").status == 200)
        }
    }
}

@Suite("Access accounting under concurrent reads")
struct ConcurrentAccessTests {
    @Test("32 concurrent reads of one consumer's record all answer 200, and each is accounted once")
    func concurrentReadsOfOneConsumer() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let readers = 32
        try await fx.withServer { client, _ in
            let p = client.with(token: fx.tokens[.practitioner])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<readers {
                    group.addTask { try await p.get("/v1/consumers/c1/record").status }
                }
                var out: [Int] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0 != 200 }.isEmpty, "non-200 answers: \(statuses.filter { $0 != 200 })")
            let access = try fx.log.readStreamEvents(try StreamID("access-c1"), from: 1, limit: 1000)
            #expect(access.count == readers, "one access event per answered read")
            #expect(access.allSatisfy { $0.type == "org.imr.record.accessed.v1" && $0.data["what"] == ["consumer-record"] })
        }
    }

    @Test("Concurrent feed pages over the same consumers all answer 200, each accounted")
    func concurrentFeedPages() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let readers = 24
        try await fx.withServer { client, _ in
            let a = client.with(token: fx.tokens[.auditor])
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<readers {
                    group.addTask { try await a.get("/v1/feed?from=0&limit=100&stream-prefix=consumer-c1").status }
                }
                var out: [Int] = []
                for try await s in group { out.append(s) }
                return out
            }
            #expect(statuses.filter { $0 != 200 }.isEmpty, "non-200 answers: \(statuses.filter { $0 != 200 })")
            let access = try fx.log.readStreamEvents(try StreamID("access-c1"), from: 1, limit: 1000)
            #expect(access.count == readers)
        }
    }
}

@Suite("The Authorization header")
struct BearerHeaderTests {
    @Test("Bearer <token>, the scheme in any case, blanks around the token; anything else is no token")
    func parsing() {
        #expect(TokenStore.bearerToken(fromAuthorization: "Bearer imr_abc") == "imr_abc")
        #expect(TokenStore.bearerToken(fromAuthorization: "bearer   imr_abc  ") == "imr_abc")
        #expect(TokenStore.bearerToken(fromAuthorization: "BEARER\timr_abc") == "imr_abc")
        #expect(TokenStore.bearerToken(fromAuthorization: "Bearer a b") == "a b", "kept whole, then unknown")
        for header in ["Bearer", "Bearer ", "bearer  ", "Basic dXNlcjpwYXNz", "", " Bearer x", "Bearerx y"] {
            #expect(TokenStore.bearerToken(fromAuthorization: header) == nil, "\(header)")
        }
    }
}
