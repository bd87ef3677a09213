import ClinicalRecord
import EventLog
import Foundation
import RecordHTTP
import Testing

/// One request of an endpoint class, and the capability it needs (`nil`: no token may).
struct Probe: Sendable {
    var name: String
    var needs: Set<Capability>
    var allowed: @Sendable (Role) -> Bool = { _ in false }
    var run: @Sendable (APIClient, String) async throws -> Int

    init(_ name: String, _ needs: Set<Capability>, run: @escaping @Sendable (APIClient, String) async throws -> Int) {
        self.name = name; self.needs = needs; self.run = run
    }
}

@Suite("Authentication and the role matrix, over a real socket")
struct AccessControlTests {
    static func probes(port: Int) -> [Probe] {
        let d = Fixture.day(30)
        return [
            Probe("establish-program", [.programCommands]) { c, u in
                try await c.post("/v1/commands/establish-program", json: Fixture.command(
                    ProgramEstablished(programId: ProgramID("px-\(u)")!, name: "X", curriculum: .kit2009, fidelityScale: .kit2009, startDate: d), on: d)).status
            },
            Probe("receive-referral", [.intakeCommands]) { c, u in
                try await c.post("/v1/commands/receive-referral", json: Fixture.command(
                    ReferralReceived(referralId: ReferralID("rx-\(u)")!, consumerId: ConsumerID("cx-\(u)")!, programId: "p1", source: .treatmentTeam,
                                     reason: "r", date: d), on: d)).status
            },
            Probe("set-goal", [.clinicalCommands]) { c, u in
                try await c.post("/v1/commands/set-goal", json: Fixture.command(
                    GoalSet(goalId: GoalID("gx-\(u)")!, consumerId: "c1", text: "a goal", date: d), on: d)).status
            },
            Probe("record-supervision", [.supervisionCommands]) { c, _ in
                try await c.post("/v1/commands/record-supervision", json: Fixture.command(
                    SupervisionHeld(teamId: "t1", kind: .group, leader: "pr1", practitioners: ["pr2"], date: d, durationMinutes: 60, casesReviewed: []),
                    on: d)).status
            },
            Probe("record-access (server only)", []) { c, _ in
                try await c.post("/v1/commands/record-access", json: Fixture.command(
                    RecordAccessed(user: "u1", role: "practitioner", consumerId: "c1", purpose: "treatment", what: ["x"]), on: d)).status
            },
            Probe("raw events", [.rawEvents]) { c, u in
                try await c.post("/v1/streams/ehr-\(u)/events?expected-version=no-stream",
                                 json: ["type": "com.example.ehr.note.v1", "data": ["n": 1]]).status
            },
            Probe("feed page", [.feed]) { c, _ in try await c.get("/v1/feed?limit=5").status },
            Probe("live feed", [.feed]) { c, _ in
                let (port, token) = (c.port, c.token!)
                return try await offPool {
                    let r = try SSEReader(port: port, path: "/v1/feed/live", headers: ["Authorization": "Bearer \(token)"])
                    defer { r.disconnect() }
                    return r.status
                }
            },
            Probe("caseload", [.queries]) { c, _ in try await c.get("/v1/caseload").status },
            Probe("goals", [.queries]) { c, _ in try await c.get("/v1/goals").status },
            Probe("participation", [.queries]) { c, _ in try await c.get("/v1/participation").status },
            Probe("fidelity", [.fidelity]) { c, _ in try await c.get("/v1/fidelity?program=p1").status },
            Probe("consumer record", [.consumerRecord]) { c, _ in try await c.get("/v1/consumers/c1/record").status },
            Probe("consumer record, audit view", [.consumerRecord, .auditView]) { c, _ in
                try await c.get("/v1/consumers/c1/record?audit=true").status
            },
            Probe("checkpoint", [.integrity]) { c, _ in try await c.get("/v1/checkpoint").status },
            Probe("inclusion proof", [.integrity]) { c, _ in try await c.get("/v1/proofs/inclusion?position=0").status },
            Probe("consistency proof", [.integrity]) { c, _ in try await c.get("/v1/proofs/consistency?from=1").status },
            Probe("metrics", [.metrics]) { c, _ in try await c.get("/metrics").status },
        ]
    }

    @Test("Every role × every endpoint class: 2xx when the matrix allows it, 403 otherwise")
    func roleMatrix() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            var failures: [String] = []
            for role in Role.allCases {
                let c = client.with(token: fx.tokens[role])
                for probe in Self.probes(port: client.port) {
                    let status = try await probe.run(c, role.rawValue)
                    let allowed = !probe.needs.isEmpty && probe.needs.isSubset(of: role.capabilities)
                    let ok = allowed ? (200..<300).contains(status) : status == 403
                    if !ok { failures.append("\(role.rawValue) × \(probe.name): \(status), expected \(allowed ? "2xx" : "403")") }
                }
            }
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
            // Public endpoints need no token.
            #expect(try await client.get("/healthz").status == 200)
            #expect(try await client.send("HEAD", "/healthz").status == 200)
            #expect(try await client.get("/openapi.json").status == 200)
        }
    }

    @Test("No token, a wrong scheme, an unknown or a revoked token: 401 with WWW-Authenticate: Bearer")
    func unauthenticated() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let before = try fx.size()
        try await fx.withServer { client, server in
            for probe in Self.probes(port: client.port) where probe.name != "live feed" {
                let status = try await probe.run(client, "anon")
                #expect(status == 401, "\(probe.name) without a token: \(status)")
            }
            let sse = try await offPool { try SSEReader(port: client.port, path: "/v1/feed/live", headers: [:]) }
            #expect(sse.status == 401)
            sse.disconnect()
            for header in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer imr_not-a-real-token", "bearer  "] {
                let r = try await client.get("/v1/caseload", headers: ["Authorization": header])
                #expect(r.status == 401, "\(header)")
                #expect(r.headers["www-authenticate"]?.hasPrefix("Bearer") == true)
                #expect(r.headers["content-type"] == "application/problem+json")
            }
            // Revocation takes effect on the running server.
            let (token, record) = try server.tokens.create(role: .administrator, user: "short-lived")
            #expect(try await client.with(token: token).get("/v1/caseload").status == 200)
            #expect(try server.tokens.revoke(id: record.id))
            #expect(try await client.with(token: token).get("/v1/caseload").status == 401)
        }
        #expect(try fx.size() == before, "refused requests wrote nothing")
    }

    @Test("Program-scoped tokens see and act on their program only")
    func programScope() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let p2 = client.with(token: fx.scoped["practitioner-p2"])
            #expect(try await p2.get("/v1/consumers/c1/record").status == 403)
            #expect(try await p2.get("/v1/consumers/c9/record").status == 200)
            let d = Fixture.day(30)
            #expect(try await p2.post("/v1/commands/set-goal", json: Fixture.command(GoalSet(goalId: "gp2", consumerId: "c1", text: "x", date: d), on: d)).status == 403)
            #expect(try await p2.post("/v1/commands/set-goal", json: Fixture.command(GoalSet(goalId: "gp2", consumerId: "c9", text: "x", date: d), on: d)).status == 201)
            #expect(try await p2.post("/v1/commands/receive-referral", json: Fixture.command(
                ReferralReceived(referralId: "r-new", consumerId: "c77", programId: "p1", source: .treatmentTeam, reason: "r", date: d), on: d)).status == 403)
            #expect(try await p2.get("/v1/goals?program=p1").status == 403)
            let goals = try await p2.get("/v1/goals")
            #expect(goals.status == 200)
            let consumers = (goals.object["consumers"] as? [[String: Any]] ?? []).compactMap { $0["consumer"] as? String }
            #expect(consumers == ["c9"])

            // An integrator limited to p1 gets only p1's streams in the feed.
            let i1 = client.with(token: fx.scoped["integrator-p1"])
            let page = try await i1.get("/v1/feed?limit=1000")
            #expect(page.status == 200)
            let subjects = ((page.json as? [[String: Any]]) ?? []).compactMap { $0["subject"] as? String }
            #expect(!subjects.isEmpty)
            #expect(subjects.allSatisfy { !$0.hasSuffix("p2") && !$0.hasSuffix("t2") && !$0.hasSuffix("c9") && !$0.hasSuffix("pr9") })
            #expect(subjects.contains("consumer-c1"))
            // …and may not append to a stream outside it.
            #expect(try await i1.post("/v1/streams/consumer-c9/events?expected-version=any", json: ["type": "com.example.x.v1", "data": [:] as [String: Any]]).status == 403)
            // Nor learn which event ids exist in another program: its raw events have a source
            // of their own, so another program's id is a new event here, not a 409.
            let all = try await client.with(token: fx.tokens[.auditor]).get("/v1/feed?limit=1000")
            let other = try #require(((all.json as? [[String: Any]]) ?? []).first { $0["subject"] as? String == "consumer-c9" })
            let probe = try await i1.post("/v1/streams/consumer-c1/events?expected-version=any",
                                          json: ["type": "com.example.x.v1", "id": other["id"] as! String, "data": [:] as [String: Any]])
            #expect(probe.status == 201, "\(probe.text)")
            let named = try await i1.post("/v1/streams/consumer-c1/events?expected-version=any",
                                          json: ["type": "com.example.x.v1", "id": other["id"] as! String, "source": other["source"] as! String,
                                                 "data": [:] as [String: Any]])
            #expect(named.status == 422 && named.text.contains("raw-event.source-of-program"), "\(named.text)")
        }
    }

    @Test("A purpose the access event could not hold (blank, over 400 bytes) is a 400 naming purpose, and nothing is written")
    func purposeRules() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let practitioner = client.with(token: fx.tokens[.practitioner])
            let size = try fx.size()
            let long = String(repeating: "é", count: 201)  // 201 characters, 402 bytes
            for (path, headers) in [
                ("/v1/consumers/c1/record?purpose=%20%20", [:]),
                ("/v1/consumers/c1/record", ["IMR-Purpose": long]),
                ("/v1/goals?program=p1&purpose=%20", [:]),
            ] as [(String, [String: String])] {
                let r = try await practitioner.get(path, headers: headers)
                #expect(r.status == 400, "\(path)")
                let errors = (r.json as? [String: Any])?["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["field"] as? String == "purpose", "\(path)")
            }
            // A header whose bytes are not UTF-8 is refused, not stored with U+FFFD in their place.
            let port = client.port, auth = ["Authorization": "Bearer \(fx.tokens[.practitioner]!)"]
            let latin1 = try await offPool {
                try RawHTTP.request(port: port, "GET", "/v1/consumers/c1/record", headers: auth, rawLines: Array("IMR-Purpose: caf".utf8) + [0xE9, 0x20, 0xFF, 0x0D, 0x0A])
            }
            #expect(latin1.status == 400)
            #expect(((latin1.json as? [String: Any])?["errors"] as? [[String: Any]])?.first?["field"] as? String == "purpose")
            #expect(try fx.size() == size)
            let ok = try await practitioner.get("/v1/consumers/c1/record", headers: ["IMR-Purpose": String(repeating: "é", count: 200)])
            #expect(ok.status == 200)
            // A consumer id percent-encoded in the path is the same consumer.
            #expect(try await practitioner.get("/v1/consumers/c%31/record").status == 200)
        }
    }

    @Test("A read of a consumer's record appends a RecordAccessed event: who, whose, what, why")
    func accessAccounting() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let before = try fx.size()
            let r = try await client.with(token: fx.tokens[.practitioner]).get("/v1/consumers/c1/record?purpose=care%20coordination")
            #expect(r.status == 200)
            let after = try fx.size()
            #expect(after == before + 1)
            let event = try #require(try fx.log.readEvents(from: before, limit: 1).first)
            #expect(event.type == "org.imr.record.accessed.v1")
            #expect(event.stream.rawValue == "access-c1")
            #expect(event.recordedBy == fx.users[.practitioner])
            #expect(event.data["user"] == .string(fx.users[.practitioner]!))
            #expect(event.data["role"] == "practitioner")
            #expect(event.data["consumer_id"] == "c1")
            #expect(event.data["purpose"] == "care coordination")
            #expect(event.data["what"] == ["consumer-record"])

            // Consumer rows of a query are reads too: one event per consumer shown.
            let g = try await client.with(token: fx.tokens[.supervisor]).get("/v1/participation?program=p1")
            #expect(g.status == 200)
            let rows = (g.object["consumers"] as? [[String: Any]] ?? []).count
            #expect(rows == 2)
            #expect(try fx.size() == after + UInt64(rows))
            // Caseload rows name no consumer: nothing is written.
            let size = try fx.size()
            #expect(try await client.with(token: fx.tokens[.administrator]).get("/v1/caseload").status == 200)
            #expect(try fx.size() == size)
        }
    }

    @Test("docs/API.md prints the role matrix the server enforces")
    func documentedMatrix() throws {
        let doc = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/API.md")
        let text = try String(contentsOf: doc, encoding: .utf8)
        #expect(text.contains(Role.matrixMarkdown), "docs/API.md must contain:\n\(Role.matrixMarkdown)")
        for c in [Capability.programCommands, .intakeCommands, .supervisionCommands] {
            #expect(text.contains(c.commands.joined(separator: ", ")), "docs/API.md lists the \(c.rawValue) commands")
        }
    }
}
