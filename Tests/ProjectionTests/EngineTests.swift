import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import ProgramSimulator
import Projections
import RecordCore
import Testing

/// A small seeded program history, recorded through the record core: referrals, enrollments,
/// goals, sessions, supervision, amendments and error marks.
struct Scenario {
    var rng: UInt64
    init(seed: UInt64) { rng = seed &+ 0x9E37_79B9_7F4A_7C15 }

    mutating func next(_ n: Int) -> Int {
        rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((rng >> 33) % UInt64(n))
    }

    static func at(_ d: LocalDate) -> Timestamp { Timestamp(microseconds: Int64(d.dayNumber) * 86_400_000_000 + 36_000_000_000) }

    /// Commands in order; every one passes the rules.
    mutating func commands(consumers: Int, weeks: Int) -> [CommandRequest] {
        let start = LocalDate("2025-01-06")!
        var out: [CommandRequest] = []
        var n = 0
        func add(_ e: any RecordEvent, _ d: LocalDate) {
            n += 1
            out.append(CommandRequest(command: .record(e), occurredAt: Self.at(d), commandId: "cmd-\(n)"))
        }
        add(ProgramEstablished(programId: "p1", name: "North", curriculum: .kit2009, fidelityScale: .kit2009, startDate: start), start)
        add(TeamFormed(teamId: "t1", programId: "p1", name: "A", date: start), start)
        for p in 1...3 {
            add(PractitionerJoined(practitionerId: .init("pr\(p)")!, programId: "p1", teamId: "t1", role: .practitioner, startDate: start), start)
        }
        var enrolled: [(ConsumerID, String)] = []
        for c in 1...consumers {
            let cid = ConsumerID("c\(c)")!, rid = ReferralID("r\(c)")!
            let d = start.adding(days: next(20))
            add(ReferralReceived(referralId: rid, consumerId: cid, programId: "p1", source: .treatmentTeam, reason: "private reason", date: d), d)
            if next(5) == 0 {
                add(ReferralDeclined(referralId: rid, decidedBy: "u1", reason: "private", date: d.adding(days: 1)), d.adding(days: 1))
                continue
            }
            add(ReferralAccepted(referralId: rid, decidedBy: "u1", formatOffered: .individual, date: d.adding(days: 1)), d.adding(days: 1))
            let e = d.adding(days: 2)
            add(ConsumerEnrolled(enrollmentId: .init("e\(c)")!, consumerId: cid, programId: "p1", referralId: rid, format: .individual,
                                 startDate: e, curriculum: .kit2009, scaleVersion: .kit2009), e)
            add(PractitionerAssigned(enrollmentId: .init("e\(c)")!, consumerId: cid, practitionerId: .init("pr\(1 + next(3))")!, effectiveDate: e), e)
            add(GoalSet(goalId: .init("g\(c)")!, consumerId: cid, text: "my goal", measurableCriterion: next(2) == 0 ? "twice a week" : nil, date: e), e)
            enrolled.append((cid, "e\(c)"))
        }
        let modules = CurriculumEdition.kit2009.modules
        for w in 1...weeks {
            let d = start.adding(days: 21 + 7 * w)
            if next(4) != 0 {
                add(SupervisionHeld(teamId: "t1", kind: .group, leader: "pr1", practitioners: ["pr2", "pr3"], date: d, durationMinutes: 60, casesReviewed: []), d)
            }
            for (cid, _) in enrolled where next(3) != 0 {
                let cnum = cid.rawValue.dropFirst()
                add(SessionRecorded(sessionId: .init("s\(cnum)-\(w)")!, consumerId: cid, format: .individual, date: d, durationMinutes: 30 + next(40),
                                    practitioners: ["pr1"], goalsFollowedUp: next(2) == 0 ? [.init("g\(cnum)")!] : [],
                                    motivational: [.promoteHope], topics: [modules[next(modules.count)]], handoutsGiven: next(2) == 0), d)
                if next(6) == 0 {
                    add(GoalProgressRated(goalId: .init("g\(cnum)")!, consumerId: cid, rating: 1 + next(5), ratedBy: "u2", date: d), d)
                }
            }
        }
        // Corrections: amend a session's duration, mark another session in error.
        let sessions = out.enumerated().filter { if case .record(let e) = $0.element.command { e is SessionRecorded } else { false } }
        if sessions.count >= 2, case .record(let e as SessionRecorded) = sessions[0].element.command,
            case .record(let f as SessionRecorded) = sessions[1].element.command {
            let late = start.adding(days: 21 + 7 * weeks + 1)
            add(EntryAmended(targetEventId: sessions[0].element.commandId! + ".0", consumerId: e.consumerId, kind: .correction,
                             content: ["duration_minutes": 15], reason: "misentered", author: "u1"), late)
            add(EntryMarkedInError(targetEventId: sessions[1].element.commandId! + ".0", consumerId: f.consumerId, reason: "duplicate", author: "u1"), late)
        }
        // Discharge a consumer after closing their goal.
        if let (cid, eid) = enrolled.first {
            let d = start.adding(days: 21 + 7 * weeks + 2)
            add(GoalAchieved(goalId: .init("g\(cid.rawValue.dropFirst())")!, consumerId: cid, date: d), d)
            add(ConsumerDischarged(enrollmentId: .init(eid)!, consumerId: cid, date: d, reason: .completed, modulesCompleted: []), d)
        }
        return out
    }
}

/// Records `commands` into a fresh store, in chunks; every command must be accepted.
func record(_ commands: [CommandRequest], into log: LMDBEventLog, chunk: Int = 200) async throws {
    let core = RecordCore(log: log)
    for start in stride(from: 0, to: commands.count, by: chunk) {
        let outcome = try await core.executeBatch(Array(commands[start..<min(start + chunk, commands.count)]),
                                                  by: Actor(user: "u-test", role: "practitioner"), mode: .allOrNothing)
        for line in outcome.lines { if case .failure(let e) = line { Issue.record("refused: \(e)") } }
    }
}

@Suite("Projection engine: exactly once, rebuild equals incremental, as-of equals a cut store")
struct EngineTests {
    @Test("Catching up in many small steps, with reopens, equals one rebuild from the log", arguments: [1, 2, 3] as [UInt64])
    func incrementalEqualsRebuild(seed: UInt64) async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: seed)
        let commands = scenario.commands(consumers: 12, weeks: 10)
        var views = try ProjectionStore.open(store: tmp.path, log: log)
        for start in stride(from: 0, to: commands.count, by: 37) {
            try await record(Array(commands[start..<min(start + 37, commands.count)]), into: log)
            try views.catchUp()
            if start % 3 == 0 { views = try ProjectionStore.open(store: tmp.path, log: log) }  // reload persisted records
        }
        try views.catchUp()
        let incremental = try views.digests()
        #expect(views.position == (try log.currentHead().treeSize))
        // Catching up again applies nothing twice.
        #expect(try views.catchUp() == 0)
        #expect(try views.digests() == incremental)
        try views.rebuild()
        #expect(try views.digests() == incremental)
        let fresh = try ProjectionStore.open(store: tmp.path, log: log)
        #expect(try fresh.digests() == incremental)
    }

    @Test("The projections as of position P equal those of a store holding only the first P events")
    func asOfEqualsCut() async throws {
        let tmp = try TemporaryStore(), cut = try TemporaryStore()
        defer { tmp.remove(); cut.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: 7)
        try await record(scenario.commands(consumers: 10, weeks: 8), into: log)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let size = try log.currentHead().treeSize
        let cutLog = try cut.create()
        var copied: UInt64 = 0
        var earlier: ProjectionSnapshot?
        for p in [size / 3, size / 2, size] {
            // Copy events copied..<p into the cut store, unchanged in id, time and data.
            let events = try log.readEvents(from: copied, limit: Int(p - copied))
            for e in events {
                let draft = EventDraft(id: e.id, source: e.source, type: e.type, time: e.time, data: e.data,
                                       recordedBy: e.recordedBy, recordedRole: e.recordedRole)
                _ = try await cutLog.append([StreamAppend(stream: e.stream, expected: .any, events: [draft])])
            }
            copied = p
            let cutViews = try ProjectionStore.open(store: cut.path, log: cutLog)
            try cutViews.catchUp()
            #expect(try views.replay(through: p).digests() == (try cutViews.digests()), "as of \(p)")
            // Folded on from the replay of an earlier point: the same records.
            let advanced = try views.replay(through: p, from: earlier)
            #expect(try advanced.digests() == (try cutViews.digests()), "as of \(p), from \(earlier?.position ?? 0)")
            earlier = advanced
        }
        // A later snapshot is no starting point: the replay starts from the log's beginning.
        #expect(try views.replay(through: size / 3, from: earlier).digests() == (try views.replay(through: size / 3).digests()))
    }

    @Test("Views whose stored records no longer decode are rebuilt from the log when opened, and say so")
    func damagedViewsRepairThemselves() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: 5)
        try await record(scenario.commands(consumers: 5, weeks: 3), into: log)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let digests = try views.digests()
        #expect(views.repaired == nil)
        // Damage every stored participation session's minutes: `"minutes":4` → `"minutes":x`.
        let file = ProjectionStore.viewsDirectory(of: tmp.path) + "/data.mdb"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let marker = Array(#""minutes":"#.utf8)
        var damaged = 0
        var i = 0
        while i + marker.count < bytes.count {
            if bytes[i] == marker[0], Array(bytes[i..<(i + marker.count)]) == marker { bytes[i + marker.count] = UInt8(ascii: "x"); damaged += 1 }
            i += 1
        }
        #expect(damaged > 0)
        try Data(bytes).write(to: URL(fileURLWithPath: file))
        let reopened = try ProjectionStore.open(store: tmp.path, log: log)
        let reason = try #require(reopened.repaired)
        #expect(reason.contains("participation record does not decode"))
        #expect(try reopened.digests() == digests)
    }

    @Test("A correction marked in error counts for nothing in the projections, live and rebuilt")
    func correctionsMarkedInError() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: 11)
        let commands = scenario.commands(consumers: 6, weeks: 4)
        try await record(commands, into: log)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let day = LocalDate("2026-12-31")!
        let corrected = views.snapshot().participation(asOf: day).programs[0]
        let corrections = commands.filter {
            if case .record(let e) = $0.command { e is EntryAmended || e is EntryMarkedInError } else { false }
        }
        // Mark both corrections of the scenario in error: the amended session has its first
        // minutes again and the session marked in error counts again.
        var more: [CommandRequest] = []
        for (i, c) in corrections.enumerated() {
            guard case .record(let e) = c.command else { continue }
            let consumer = (e as? EntryAmended)?.consumerId ?? (e as! EntryMarkedInError).consumerId
            more.append(CommandRequest(command: .record(EntryMarkedInError(targetEventId: c.commandId! + ".0", consumerId: consumer,
                                                                          reason: "wrong correction", author: "u1")),
                                       occurredAt: c.occurredAt, commandId: "undo-\(i)"))
        }
        try await record(more, into: log)
        try views.catchUp()
        let undone = views.snapshot().participation(asOf: day).programs[0]
        #expect(undone.sessions == corrected.sessions + 1)
        #expect(undone.hours > corrected.hours)
        // A rebuild (corrections gathered before the fold) gives the same records.
        let live = try views.digests()
        try views.rebuild()
        #expect(try views.digests() == live)
        #expect(try views.replay(through: try log.currentHead().treeSize).digests() == live)
    }

    @Test("An amendment changes what the projections show; an entry in error disappears; the log keeps both originals")
    func corrections() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: 11)
        let commands = scenario.commands(consumers: 6, weeks: 4)
        let corrections = commands.filter {
            if case .record(let e) = $0.command { e is EntryAmended || e is EntryMarkedInError } else { false }
        }
        #expect(corrections.count == 2)
        let before = Array(commands.prefix { c in !corrections.contains { $0.commandId == c.commandId } })
        try await record(before, into: log)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let day = LocalDate("2026-12-31")!
        let sessionsBefore = views.snapshot().participation(asOf: day).programs[0].sessions
        let hoursBefore = views.snapshot().participation(asOf: day).programs[0].hours
        let sizeBefore = try log.currentHead().treeSize
        try await record(Array(commands.dropFirst(before.count)), into: log)
        try views.catchUp()
        let after = views.snapshot().participation(asOf: day).programs[0]
        #expect(after.sessions == sessionsBefore - 1)       // the session marked in error is gone
        #expect(after.hours < hoursBefore)                  // the amended one is shorter
        // The originals are still in the log, unchanged.
        guard case .record(let amendment as EntryAmended) = corrections[0].command else { Issue.record("no amendment"); return }
        let target = try #require(try log.position(ofEventID: amendment.targetEventId, source: RecordCore.Options().source))
        let original = try log.readEvents(from: target, limit: 1)[0]
        #expect(original.data["duration_minutes"] != 15)
        // And a replay as of before the amendment shows the original again.
        let asBefore = try views.replay(through: sizeBefore)
        #expect(asBefore.participation(asOf: day).programs[0].hours == hoursBefore)
        #expect(asBefore.participation(asOf: day).programs[0].sessions == sessionsBefore)
        #expect(try views.replay(through: try log.currentHead().treeSize).digests() == (try views.digests()))
        // Folding on from the earlier replay meets the amendment and the entry in error on the
        // way, and ends where the live views stand; the earlier replay is left as it was.
        let digestsBefore = try asBefore.digests()
        let advanced = try views.replay(through: try log.currentHead().treeSize, from: asBefore)
        #expect(advanced.position == (try log.currentHead().treeSize))
        #expect(try advanced.digests() == (try views.digests()))
        #expect(try asBefore.digests() == digestsBefore)

        // Two more amendments of the same entry: between the last replay and the end, its
        // stream now has two corrections, and folding on from that replay folds the stream
        // again only at the second; the records are still those of the live views, which
        // folded it again at each.
        let sizeAmendedOnce = try log.currentHead().treeSize
        let more = [25, 20].enumerated().map { i, minutes in
            CommandRequest(command: .record(EntryAmended(targetEventId: amendment.targetEventId, consumerId: amendment.consumerId,
                                                         kind: .correction, content: ["duration_minutes": .number(Double(minutes))],
                                                         reason: "misentered again", author: "u1")),
                           occurredAt: corrections[0].occurredAt, commandId: "cmd-again-\(i)")
        }
        try await record(more, into: log)
        try views.catchUp()
        let onceMore = try views.replay(through: try log.currentHead().treeSize, from: advanced)
        #expect(advanced.position == sizeAmendedOnce)
        #expect(try onceMore.digests() == (try views.digests()))
        #expect(try onceMore.digests() != (try advanced.digests()))
        #expect(try views.replay(through: try log.currentHead().treeSize).digests() == (try views.digests()))
    }
}

import PropertyBased

@Suite("Projection engine: properties and live updates")
struct EnginePropertyTests {
    @Test("Over random histories, folding in random-sized steps with reopens equals a rebuild")
    func randomHistories() async throws {
        await propertyCheck(count: 8, input: Gen.uint64(), Gen.int(in: 5...60)) { seed, step in
            do {
                let tmp = try TemporaryStore()
                defer { tmp.remove() }
                let log = try tmp.create()
                var scenario = Scenario(seed: seed)
                let commands = scenario.commands(consumers: 4 + Int(seed % 6), weeks: 3 + Int(seed % 5))
                var views = try ProjectionStore.open(store: tmp.path, log: log)
                var i = 0
                while i < commands.count {
                    try await record(Array(commands[i..<min(i + step, commands.count)]), into: log)
                    i += step
                    try views.catchUp()
                    if i % 2 == 0 { views = try ProjectionStore.open(store: tmp.path, log: log) }
                }
                let incremental = try views.digests()
                try views.rebuild()
                #expect(try views.digests() == incremental, "seed \(seed), step \(step)")
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test("Over random histories, a replay folded on from an earlier replay equals a replay from the start")
    func chainedReplays() async throws {
        await propertyCheck(count: 6, input: Gen.uint64(), Gen.int(in: 2...5)) { seed, points in
            do {
                let tmp = try TemporaryStore()
                defer { tmp.remove() }
                let log = try tmp.create()
                var scenario = Scenario(seed: seed)
                try await record(scenario.commands(consumers: 4 + Int(seed % 6), weeks: 3 + Int(seed % 5)), into: log)
                let views = try ProjectionStore.open(store: tmp.path, log: log)
                let size = try log.currentHead().treeSize
                var rng = SeededRandom(seed: seed)
                let cuts = (0..<points).map { _ in rng.next() % (size + 1) }.sorted()
                var earlier: ProjectionSnapshot?
                for p in cuts {
                    let advanced = try views.replay(through: p, from: earlier)
                    #expect(advanced.position == p)
                    #expect(try advanced.digests() == (try views.replay(through: p).digests()), "seed \(seed), \(cuts)")
                    earlier = advanced
                }
            } catch {
                Issue.record("seed \(seed): \(error)")
            }
        }
    }

    @Test("follow() applies this process's appends as they commit")
    func follows() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        var scenario = Scenario(seed: 5)
        let commands = scenario.commands(consumers: 5, weeks: 3)
        let views = try ProjectionStore.open(store: tmp.path, log: log)
        let following = Task { try await views.follow(pollInterval: 60) }
        defer { following.cancel() }
        try await record(commands, into: log, chunk: 10)
        let head = try log.currentHead().treeSize
        // Commit notifications, not the 60-second poll, must bring the views to the head.
        var waited = 0
        while views.position < head && waited < 1000 {
            try await Task.sleep(nanoseconds: 10_000_000)
            waited += 1
        }
        #expect(views.position == head)
        let rebuilt = try views.replay(through: head)
        #expect(try rebuilt.digests() == (try views.digests()))
    }
}
