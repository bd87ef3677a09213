import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import RecordCore
import Testing

@testable import RecordHTTP

/// Work that takes long (replaying the log for an as-of query, auditing the whole log for the
/// dashboard) must not hold the threads that serve every other request.
@Suite("Long queries leave the server responsive")
struct LongQueryTests {
    /// Appends `count` progress notes for c1 straight to the log (valid events, no rule checks).
    static func appendNotes(_ fx: Fixture, count: Int) async throws {
        let codec = EventCodec()
        var batch: [StreamAppend] = []
        for n in 0..<count {
            let note = SessionRecorded(sessionId: SessionID("filler-\(n)")!, consumerId: "c1", format: .individual, date: Fixture.day(20 + n % 300),
                                       durationMinutes: 45, practitioners: ["pr1"], goalsFollowedUp: ["g1"], motivational: [.promoteHope],
                                       topics: [CurriculumEdition.kit2009.modules[n % 10]], handoutsGiven: n % 2 == 0)
            let draft = EventDraft(id: "filler-\(n)", source: "/test", type: SessionRecorded.eventType, time: Fixture.at(Fixture.day(20 + n % 300)).description,
                                   data: try codec.encode(note), recordedBy: "seed", recordedRole: "practitioner")
            batch.append(StreamAppend(stream: try StreamID(note.stream), expected: .any, events: [draft]))
            if batch.count == 1000 {
                _ = try await fx.log.append(batch)
                batch.removeAll()
            }
        }
        if !batch.isEmpty { _ = try await fx.log.append(batch) }
    }

    @Test("While two as-of queries replay the log, a health check and an ordinary query are answered first")
    func asOfReplaysDoNotBlock() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        // Enough events that both replays still run when the other requests are answered, even
        // on a loaded machine: the projections fold about twice as fast as when this test was
        // written with 12,000, and it then failed once in a full run.
        try await Self.appendNotes(fx, count: 24_000)
        let size = try fx.size()
        try await fx.withServer { client, _ in
            let auditor = client.with(token: fx.tokens[.auditor])
            // The live projections first fold the 24,000 notes; a query made while they do waits
            // for them, as long as a replay takes, and that is not what this test is about (in a
            // loaded full run the caseload below once finished after a replay for that reason).
            let caughtUp = try await auditor.get("/v1/caseload?program=p1")
            #expect(caughtUp.status == 200)
            let finished = Locked<[String]>([])
            // The replays run on the long-reads queue. Hold it closed until the other requests
            // are answered (or for 60 s at most, so that a server that makes them wait fails
            // here instead of hanging): on a loaded machine a replay of 24,000 events could
            // otherwise end before a health check is scheduled at all, which says nothing about
            // whether it held a thread the check needed.
            let gate = DispatchSemaphore(value: 0)
            OffPool.longReads.async { _ = gate.wait(timeout: .now() + 60) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (i, kind) in ["participation", "goals"].enumerated() {
                    group.addTask {
                        let r = try await auditor.get("/v1/\(kind)?program=p1&as-of=\(Int(size) - 1 - i)")
                        #expect(r.status == 200, "\(r.text)")
                        finished.mutate { $0.append("as-of \(kind)") }
                    }
                }
                // Let both as-of requests reach the server, then ask what any client may ask at any time.
                try await Task.sleep(nanoseconds: 50_000_000)
                group.addTask {
                    let health = try await client.get("/healthz")
                    #expect(health.status == 200)
                    let caseload = try await auditor.get("/v1/caseload?program=p1")
                    #expect(caseload.status == 200)
                    finished.mutate { $0.append("others") }
                    gate.signal()
                }
                try await group.waitForAll()
            }
            #expect(finished.get().first == "others", "\(finished.get())")
        }
    }

    @Test("Reports as of one moment share one replay; an earlier moment replays again; a later one folds on from the last")
    func asOfReportsShareAReplay() async throws {
        let fx = try await Fixture.make()
        defer { fx.tmp.remove() }
        let size = Int(try fx.size())
        try await fx.withServer { client, _ in
            let auditor = client.with(token: fx.tokens[.auditor])
            let admin = client.with(token: fx.tokens[.administrator])
            func count(_ outcome: String) async throws -> Int {
                let text = try await admin.get("/metrics").text
                let line = text.split(separator: "\n").first { $0.hasPrefix("imr_as_of_snapshots_total") && $0.contains("\"\(outcome)\"") }
                return line.flatMap { Int($0.split(separator: " ").last!) } ?? 0
            }
            let goals = try await auditor.get("/v1/goals?program=p1&as-of=\(size - 3)")
            let participation = try await auditor.get("/v1/participation?program=p1&as-of=\(size - 3)")
            let goalsAgain = try await auditor.get("/v1/goals?program=p1&as-of=\(size - 3)")
            #expect(goals.status == 200 && participation.status == 200 && goalsAgain.status == 200)
            #expect(goals.body == goalsAgain.body)
            #expect(goals.object["position"] as? Int == size - 2)
            #expect(try await count("replayed") == 1)
            #expect(try await count("reused") == 2)
            // Another moment: a replay of its own, with what the record said then.
            let earlier = try await auditor.get("/v1/goals?program=p1&as-of=3")
            #expect(earlier.status == 200)
            #expect(earlier.object["position"] as? Int == 4)
            #expect(try await count("replayed") == 2)
            // Stepping forward again: the kept snapshot is folded on, and the answer is the
            // one the first replay gave.
            let forward = try await auditor.get("/v1/goals?program=p1&as-of=\(size - 3)")
            #expect(forward.status == 200)
            #expect(forward.body == goals.body)
            #expect(try await count("advanced") == 1)
            #expect(try await count("replayed") == 2)
        }
    }
}
