import EventLog
import Foundation
import RecordHTTP
import Synchronization
import Testing

@Suite("The log feed: pages and Server-Sent Events")
struct FeedTests {
    @Test("A page is the stored bytes joined with commas; Link gives the next cursor; filters apply")
    func pages() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let auditor = client.with(token: fx.tokens[.integrator])
            let r = try await auditor.get("/v1/feed?from=3&limit=7")
            #expect(r.status == 200)
            #expect(r.headers["content-type"] == "application/cloudevents-batch+json")
            let stored = try fx.log.readEvents(from: 3, limit: 7)
            let expected = [UInt8]("[".utf8) + Array(stored.map(\.bytes).joined(separator: [UInt8](",".utf8))) + [UInt8]("]".utf8)
            #expect(r.body == expected, "the exact stored bytes")
            #expect(r.headers["link"] == "</v1/feed?from=10&limit=7>; rel=\"next\"")
            #expect(r.headers["imr-next-from"] == "10")

            // Follow the cursor to the end: every event once, in order.
            var from = 0, seen: [Int] = []
            while true {
                let page = try await auditor.get("/v1/feed?from=\(from)&limit=9")
                let events = page.json as? [[String: Any]] ?? []
                seen += events.compactMap { $0["position"] as? Int }
                let next = Int(page.headers["imr-next-from"] ?? "") ?? -1
                if events.isEmpty { break }
                from = next
            }
            let size = Int(try fx.size())
            #expect(seen == Array(0..<seen.count) && seen.count <= size && seen.count >= size - 2)

            // Filters: type and stream prefix.
            let goals = try await auditor.get("/v1/feed?type=org.imr.goal.set.v1")
            let types = Set((goals.json as? [[String: Any]] ?? []).compactMap { $0["type"] as? String })
            #expect(types == ["org.imr.goal.set.v1"])
            // The next link keeps the filters and the purpose given as a parameter.
            let kept = try await auditor.get("/v1/feed?from=0&limit=2&type=org.imr.goal.set.v1&purpose=quality%20review")
            #expect(kept.headers["link"] == "</v1/feed?from=\(kept.headers["imr-next-from"] ?? "")&limit=2&type=org.imr.goal.set.v1&purpose=quality%20review>; rel=\"next\"")
            let c1 = try await auditor.get("/v1/feed?stream-prefix=consumer-c1&limit=1000")
            let subjects = Set((c1.json as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String })
            #expect(subjects == ["consumer-c1"])
        }
    }

    @Test("A feed page of referral events is a read of the referral's consumer, and is accounted to them")
    func referralReadsAccounted() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let integrator = client.with(token: fx.tokens[.integrator])
            func accesses(_ c: String) throws -> UInt64 { try fx.log.streamVersion(of: try StreamID("access-\(c)")) }
            let (c1, c2, c9) = (try accesses("c1"), try accesses("c2"), try accesses("c9"))
            // Only the acceptance of c9's referral: the consumer is named by the stream's first event.
            let accepted = try await integrator.get("/v1/feed?type=org.imr.referral.accepted.v1&stream-prefix=referral-r-c9&purpose=billing")
            #expect((accepted.json as? [[String: Any]])?.count == 1)
            #expect(try accesses("c9") == c9 + 1)
            // Referrals received name their consumers in their data.
            let received = try await integrator.get("/v1/feed?type=org.imr.referral.received.v1&stream-prefix=referral-r-c&purpose=billing")
            #expect((received.json as? [[String: Any]])?.count == 3)
            #expect(try accesses("c1") == c1 + 1 && accesses("c2") == c2 + 1 && accesses("c9") == c9 + 2)
            // A page without any consumer's data writes no access event.
            _ = try await integrator.get("/v1/feed?type=org.imr.program.established.v1&purpose=billing")
            #expect(try accesses("c1") == c1 + 1)
        }
    }

    @Test("Limits and cursors at the integer edges are refused with 400 naming the parameter, and the server keeps answering")
    func integerEdges() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let auditor = client.with(token: fx.tokens[.auditor])
            for (path, headers, field) in [
                ("/v1/feed?limit=9999999999999999999", [:], "limit"),
                ("/v1/feed?limit=18446744073709551615", [:], "limit"),
                ("/v1/feed/live", ["Last-Event-ID": "18446744073709551615"], "Last-Event-ID"),
                ("/v1/feed/live?last-event-id=18446744073709551615", [:], "Last-Event-ID"),
                ("/v1/feed/live", ["Last-Event-ID": "99999"], "Last-Event-ID"),
            ] as [(String, [String: String], String)] {
                let r = try await auditor.get(path, headers: headers)
                #expect(r.status == 400, "\(path) \(headers)")
                let errors = (r.json as? [String: Any])?["errors"] as? [[String: Any]] ?? []
                #expect(errors.first?["field"] as? String == field, "\(path) \(headers)")
            }
            #expect(try await auditor.get("/v1/feed?limit=2").status == 200)
        }
    }

    @Test("A live consumer that disconnects and resumes with Last-Event-ID gets every event once, in order, while 8 writers append")
    func liveResume() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let port = client.port
            let auditorToken = fx.tokens[.auditor]!
            let writer = client.with(token: fx.tokens[.integrator])
            let writersDone = Locked(false)
            let perWriter = 20

            // The reader runs on its own thread (blocking socket reads).
            let log = fx.log
            let reader = Task {
                try await offPool { () -> ([UInt64], Int, Int) in
                    var positions: [UInt64] = []
                    var connections = 0, heartbeats = 0
                    var lastID: String?
                    while true {
                        var headers = ["Authorization": "Bearer \(auditorToken)"]
                        if let lastID { headers["Last-Event-ID"] = lastID }
                        let sse = try SSEReader(port: port, path: "/v1/feed/live", headers: headers)
                        connections += 1
                        guard sse.status == 200 else { throw ClientError(description: "live feed status \(sse.status)") }
                        var thisConnection = 0
                        var done = false
                        while let e = sse.next() {
                            if e.heartbeat {
                                heartbeats += 1
                                // Stop once the writers are done and everything committed has arrived.
                                if writersDone.get(), let last = positions.last,
                                   last + 1 == (try log.currentHead().treeSize) {
                                    done = true
                                    break
                                }
                                continue
                            }
                            guard let id = e.id, let p = UInt64(id) else { throw ClientError(description: "event without an id") }
                            let object = try JSONSerialization.jsonObject(with: Data(e.data.utf8)) as? [String: Any]
                            guard (object?["position"] as? Int).map(UInt64.init) == p else { throw ClientError(description: "id \(p) is not the event's position") }
                            positions.append(p)
                            lastID = id
                            thisConnection += 1
                            // Walk away twice mid-stream, as a consumer that crashes would.
                            if connections <= 2 && thisConnection == 25 { break }
                        }
                        sse.disconnect()
                        if done { break }
                        if connections > 50 { throw ClientError(description: "too many reconnects") }
                    }
                    return (positions, connections, heartbeats)
                }
            }

            try await withThrowingTaskGroup(of: Void.self) { group in
                for w in 0..<8 {
                    group.addTask {
                        for k in 0..<perWriter {
                            let r = try await writer.post("/v1/streams/ehr-w\(w)/events?expected-version=\(k)",
                                                          json: ["type": "com.example.ehr.note.v1", "id": "w\(w)-\(k)", "data": ["writer": w, "k": k]])
                            #expect(r.status == 201, "writer \(w) event \(k): \(r.status) \(r.text)")
                        }
                    }
                }
                try await group.waitForAll()
            }
            writersDone.mutate { $0 = true }
            let (positions, connections, heartbeats) = try await reader.value
            let size = try fx.size()
            #expect(connections >= 3)
            #expect(heartbeats > 0)
            #expect(positions == Array(0..<size), "every position exactly once, in order (got \(positions.count) of \(size))")
            // Each writer's events arrived in its stream's order.
            let events = try fx.log.readEvents(from: 0, limit: Int(size))
            for w in 0..<8 {
                let ks = events.filter { $0.stream.rawValue == "ehr-w\(w)" }.compactMap { $0.data["k"]?.intValue }
                #expect(ks == Array(0..<perWriter))
            }
        }
    }

    @Test("Live feed filters, and a resume after the last event waits for new ones")
    func liveFilter() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        try await fx.withServer { client, _ in
            let (port, token) = (client.port, fx.tokens[.integrator]!)
            let head = try fx.size()
            let sse = try await offPool {
                try SSEReader(port: port, path: "/v1/feed/live?type=com.example.live.v1",
                              headers: ["Authorization": "Bearer \(token)", "Last-Event-ID": String(head - 1)])
            }
            #expect(sse.status == 200)
            #expect(sse.headers["content-type"] == "text/event-stream")
            let w = client.with(token: token)
            _ = try await w.post("/v1/streams/ehr-x/events?expected-version=any", json: ["type": "com.example.other.v1", "data": [:] as [String: Any]])
            let r = try await w.post("/v1/streams/ehr-x/events?expected-version=any", json: ["type": "com.example.live.v1", "data": ["a": 1]])
            #expect(r.status == 201)
            let event = try await offPool { () -> SSEReader.Event? in
                while let e = sse.next() { if !e.heartbeat { return e } }
                return nil
            }
            #expect(event?.id == String(head + 1))
            #expect(event?.data.contains("\"type\":\"com.example.live.v1\"") == true)
            sse.disconnect()
        }
    }
}

@Suite("Idle connections")
struct IdleConnectionTests {
    @Test("A connection that sends half a request and stops is closed after the idle timeout; a live feed being written is not")
    func idleClosed() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        var options = Fixture.options
        options.idleTimeoutSeconds = 1
        try await fx.withServer(options: options) { client, _ in
            // Blocking socket calls run off the concurrency pool, which the server needs.
            let port = client.port
            let (n, seconds) = try await offPool { () -> (Int, Double) in
                let fd = try RawHTTP.connect(port: port, timeoutSeconds: 10)
                defer { close(fd) }
                let partial = Array("GET /healthz HTTP/1.1\r\nHost: x\r\n".utf8)
                _ = partial.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
                let started = Date()
                var byte: UInt8 = 0
                let n = recv(fd, &byte, 1, 0)  // 0: the server closed it
                return (n, Date().timeIntervalSince(started))
            }
            #expect(n == 0, "recv returned \(n)")
            #expect(seconds < 8)
            // A live feed outlives the timeout: heartbeats are written to it.
            let token = fx.tokens[.integrator]!
            let live = try await offPool { try SSEReader(port: port, path: "/v1/feed/live?from=0&purpose=test", headers: ["Authorization": "Bearer \(token)"]) }
            defer { live.disconnect() }
            try await Task.sleep(for: .seconds(2.5))
            #expect(try await client.get("/healthz").status == 200)
            #expect(try await offPool { live.waitForComments(5) }, "the live feed was closed")
        }
    }
}

@Suite("Revocation on open streams")
struct RevokedStreamTests {
    @Test("Revoking a token ends a live feed already open with it: later events are not sent")
    func revokedLiveFeed() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let store = TokenStore(store: fx.tmp.path)
        let (token, record) = try store.create(role: .integrator, user: "integ-revoked")
        try await fx.withServer { client, _ in
            let size = try fx.size()
            let port = client.port
            let live = try await offPool { try SSEReader(port: port, path: "/v1/feed/live?from=\(size)&purpose=test", headers: ["Authorization": "Bearer \(token)"]) }
            defer { live.disconnect() }
            #expect(try await offPool { live.waitForComments(1) })
            #expect(try store.revoke(id: record.id))
            let i = client.with(token: fx.tokens[.integrator])
            #expect(try await i.post("/v1/streams/ehr-after/events?expected-version=any", json: ["type": "com.example.after.v1", "data": ["k": 1]]).status == 201)
            // The stream ends (next() gives nil at its end) without the event appended after the revocation.
            let delivered = try await offPool { () -> [String] in
                var out: [String] = []
                while let e = live.next() { if !e.heartbeat { out.append(e.data) } }
                return out
            }
            #expect(delivered.isEmpty, "\(delivered)")
        }
    }
}
