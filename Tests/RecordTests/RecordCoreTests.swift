import CanonicalJSON
import ClinicalRecord
import EventLog
import Foundation
import RecordCore
import Testing

/// A realistic program history as `(command, JSON)` lines, as an NDJSON import would carry them.
enum Script {
    static let setup: [(String, String)] = [
        ("establish-program", #"{"occurred_at":"2026-01-05T09:00:00Z","program_id":"p1","name":"Riverside IMR","curriculum":"imr-kit-2009","fidelity_scale":"imr-fidelity-kit-2009","start_date":"2026-01-05"}"#),
        ("form-team", #"{"occurred_at":"2026-01-05T09:05:00Z","team_id":"t1","program_id":"p1","name":"Team A","date":"2026-01-05"}"#),
        ("add-practitioner", #"{"occurred_at":"2026-01-05T09:10:00Z","practitioner_id":"pr1","program_id":"p1","team_id":"t1","role":"practitioner","start_date":"2026-01-05"}"#),
        ("record-training", #"{"occurred_at":"2026-01-06T16:00:00Z","practitioner_id":"pr1","course":"basic","hours":16,"date":"2026-01-06"}"#),
        ("receive-referral", #"{"occurred_at":"2026-01-10T11:00:00Z","referral_id":"r1","consumer_id":"c1","program_id":"p1","source":"treatment-team","referrer":"Dr Q","reason":"wants to manage stress","date":"2026-01-10"}"#),
        ("accept-referral", #"{"occurred_at":"2026-01-12T11:00:00Z","referral_id":"r1","decided_by":"u1","format_offered":"individual","date":"2026-01-12"}"#),
        ("enroll-consumer", #"{"occurred_at":"2026-01-15T09:00:00Z","enrollment_id":"e1","consumer_id":"c1","program_id":"p1","referral_id":"r1","format":"individual","start_date":"2026-01-15","curriculum":"imr-kit-2009","scale_version":"imr-fidelity-kit-2009"}"#),
        ("assign-practitioner", #"{"occurred_at":"2026-01-15T09:30:00Z","enrollment_id":"e1","consumer_id":"c1","practitioner_id":"pr1","effective_date":"2026-01-15"}"#),
    ]

    static let care: [(String, String)] = [
        ("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"cmd-goal-1","goal_id":"g1","consumer_id":"c1","text":"walk to the park","in_consumers_words":true,"steps":["buy shoes"],"date":"2026-01-20"}"#),
        ("record-session", #"{"occurred_at":"2026-01-20T11:00:00Z","command_id":"cmd-session-1","session_id":"s1","consumer_id":"c1","format":"individual","date":"2026-01-20","duration_minutes":50,"practitioners":["pr1"],"goals_followed_up":["g1"],"motivational":["promote-hope"],"topics":["recovery-strategies"],"educational_techniques":["interactive-teaching"],"cbt":["reinforcement"],"skills":[],"homework":"notice one good moment a day","handouts_given":true,"practitioner_signed":true,"consumer_signed":true}"#),
        ("record-attendance", #"{"occurred_at":"2026-01-20T11:05:00Z","session_id":"s1","consumer_id":"c1","date":"2026-01-20","status":"attended"}"#),
        ("register-supporter", #"{"occurred_at":"2026-01-21T10:00:00Z","supporter_id":"sp1","consumer_id":"c1","name":"A. Sister","relationship":"sister","date":"2026-01-21"}"#),
        ("record-supporter-consent", #"{"occurred_at":"2026-01-21T10:05:00Z","supporter_id":"sp1","consumer_id":"c1","scope":["handouts","homework"],"effective_date":"2026-01-21","expiry_date":"2026-12-31"}"#),
        ("record-supporter-contact", #"{"occurred_at":"2026-01-25T10:00:00Z","consumer_id":"c1","supporter_id":"sp1","date":"2026-01-25","mode":"phone","purpose":"homework"}"#),
        ("rate-goal-progress", #"{"occurred_at":"2026-02-01T10:00:00Z","goal_id":"g1","consumer_id":"c1","rating":3,"rated_by":"u1","collaborative":true,"date":"2026-02-01"}"#),
        ("complete-module-review", #"{"occurred_at":"2026-02-02T10:00:00Z","consumer_id":"c1","module":"recovery-strategies","score":80,"answers":[],"date":"2026-02-02"}"#),
        ("achieve-goal", #"{"occurred_at":"2026-02-20T10:00:00Z","goal_id":"g1","consumer_id":"c1","date":"2026-02-20"}"#),
        ("discharge-consumer", #"{"occurred_at":"2026-03-01T10:00:00Z","enrollment_id":"e1","consumer_id":"c1","date":"2026-03-01","reason":"completed","modules_completed":["recovery-strategies"]}"#),
    ]

    static func run(_ fx: CoreFixture, _ lines: [(String, String)]) async throws {
        for (name, json) in lines { try await fx.run(name, json) }
    }
}

@Suite("Record core on a real LMDB store")
struct RecordCoreTests {
    @Test("A realistic program history parsed from JSON is executed event by event into the right streams")
    func realisticSequence() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        var size: UInt64 = 0
        for (name, json) in Script.setup + Script.care {
            let result = try await fx.run(name, json)
            #expect(result.events.count == 1, "\(name)")
            #expect(result.events.first?.position == size, "\(name)")
            #expect(!result.wasDuplicate)
            let type = try #require(CommandCatalog.eventType(of: name))
            #expect(result.events.first?.type == type.eventType)
            size += 1
            #expect(try await fx.size() == size)
        }
        // Streams: one per program, team, practitioner, referral, consumer.
        #expect(try await fx.log.version(of: StreamID("program-p1")) == 1)
        #expect(try await fx.log.version(of: StreamID("team-t1")) == 1)
        #expect(try await fx.log.version(of: StreamID("practitioner-pr1")) == 2)
        #expect(try await fx.log.version(of: StreamID("referral-r1")) == 2)
        #expect(try await fx.log.version(of: StreamID("consumer-c1")) == UInt64(2 + Script.care.count))
        // Command ids become event ids.
        #expect(try fx.log.position(ofEventID: "cmd-session-1.0", source: fx.core.options.source) == 9)
        // The stored events are attributed and carry clinical time.
        let stored = try await fx.log.read(from: 9, limit: 1)[0]
        #expect(stored.recordedBy == "u-17" && stored.recordedRole == "practitioner")
        #expect(stored.time == "2026-01-20T11:00:00Z")
        #expect(stored.data["homework"] == "notice one good moment a day")
        // Folding the consumer's stream back gives the discharged consumer.
        let (state, versions) = try await fx.core.loadState(["consumer-c1"])
        #expect(versions["consumer-c1"] == UInt64(2 + Script.care.count))
        let c = try #require(state.consumers[F.consumer])
        #expect(c.discharged && c.goals["g1"]?.status == .achieved && c.modulesTaught == [.recoveryStrategies])
        // Nothing more can be recorded for the discharged consumer, except amendments.
        try await fx.expectRefusedWritingNothing(rule: "record.discharged-only-amendments", field: "consumer_id") {
            try await fx.run("record-session", #"{"occurred_at":"2026-03-02T11:00:00Z","session_id":"s2","consumer_id":"c1","format":"individual","date":"2026-03-02","duration_minutes":50,"practitioners":["pr1"],"goals_followed_up":[],"motivational":[],"topics":[],"educational_techniques":[],"cbt":[],"skills":[],"homework":"SECRET-TEXT-123","handouts_given":false,"practitioner_signed":true,"consumer_signed":true}"#)
        }
        let amended = try await fx.run("amend-entry", #"{"occurred_at":"2026-03-02T11:00:00Z","target_event_id":"cmd-session-1.0","consumer_id":"c1","kind":"correction","content":{"homework":"notice two good moments a day"},"reason":"typo","author":"u1"}"#)
        #expect(amended.events.first?.type == EntryAmended.eventType)
    }

    @Test("A group session parsed from JSON writes the group's and every attendee's events")
    func groupSessionFromJSON() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(G.enrolledThree + [G.formed])
        let size = try await fx.size()
        let result = try await fx.run("record-group-session", #"{"occurred_at":"2026-01-22T15:00:00Z","session_id":"gs1","group_id":"gr1","date":"2026-01-22","duration_minutes":90,"facilitators":["pr1"],"topics":["social-support"],"attendance":[{"consumer_id":"c1","status":"attended"},{"consumer_id":"c2","status":"attended"},{"consumer_id":"c3","status":"cancelled-by-consumer","reason":"ill"}],"notes":[{"consumer_id":"c1","homework":"call a friend"},{"consumer_id":"c2"}]}"#)
        #expect(result.events.map(\.type) == [GroupSessionHeld.eventType] + [AttendanceRecorded.eventType, SessionRecorded.eventType] + [AttendanceRecorded.eventType, SessionRecorded.eventType, AttendanceRecorded.eventType])
        #expect(try await fx.size() == size + 6)
    }

    @Test("A refused command leaves the log's size and head unchanged")
    func refusedWritesNothing() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        try await fx.expectRefusedWritingNothing(rule: "goal.requires-active-enrollment", field: "consumer_id", kind: .invariant) {
            try await fx.run("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":"g1","consumer_id":"c9","text":"SECRET-TEXT-123","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        }
        try await fx.expectRefusedWritingNothing(rule: "referral.one-decision", field: "referral_id", kind: .invariant) {
            try await fx.run("decline-referral", #"{"occurred_at":"2026-01-20T10:00:00Z","referral_id":"r1","decided_by":"u1","reason":"SECRET-TEXT-123","date":"2026-01-20"}"#)
        }
        try await fx.expectRefusedWritingNothing(rule: "field.not-empty", field: "text", kind: .invalid) {
            try await fx.run("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":"g1","consumer_id":"c1","text":" ","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        }
        #expect(try await fx.size() == UInt64(Script.setup.count))
    }

    @Test("The same command id retried returns the same positions, marks the result duplicate, and writes nothing")
    func idempotentRetry() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        let goal = Script.care[0]
        let first = try await fx.run(goal.0, goal.1)
        #expect(!first.wasDuplicate)
        let head = try await fx.log.head()
        for _ in 0..<3 {
            let again = try await fx.run(goal.0, goal.1)
            #expect(again.wasDuplicate)
            #expect(again.events.map(\.position) == first.events.map(\.position))
            #expect(again.events.map(\.id) == ["cmd-goal-1.0"])
            #expect(again.events.map(\.stream) == ["consumer-c1"])
            #expect(try await fx.log.head() == head)
        }
        // The retry was answered from the log, not decided again: deciding it now is refused.
        try await fx.expectRefusedWritingNothing(rule: "goal.duplicate", field: "goal_id") {
            try await fx.run(.record(F.goal()))
        }
    }

    @Test("Two commands of one batch under one command id: the second is refused on its own line, the others are written")
    func commandIdTwiceInOneBatch() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        func request(_ name: String, _ json: String) throws -> CommandRequest { try CommandRequest.parse(name: name, json: try JSONValue(parsing: json)) }
        let goal = try request("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"dup-1","goal_id":"g1","consumer_id":"c1","text":"walk","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        let other = try request("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"dup-1","goal_id":"g2","consumer_id":"c1","text":"read","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        let valid = try request("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"ok-1","goal_id":"g3","consumer_id":"c1","text":"cook","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        let before = try await fx.size()
        let outcome = try await fx.core.executeBatch([goal, other, valid], by: CoreFixture.actor, mode: .commitValid)
        guard case .failure(let e) = outcome.lines[1] else { Issue.record("the second dup-1 was accepted"); return }
        #expect(e.violations.map(\.rule) == ["command.id-reused"] && e.violations.first?.field == "command_id")
        #expect(outcome.refused == 1 && outcome.wrote)
        #expect(try await fx.size() == before + 2)
        // All or nothing: the repeat refuses the batch, and nothing is written.
        let again = try await fx.core.executeBatch([try request("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"dup-2","goal_id":"g4","consumer_id":"c1","text":"swim","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#),
                                                    try request("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"dup-2","goal_id":"g5","consumer_id":"c1","text":"run","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)],
                                                   by: CoreFixture.actor, mode: .allOrNothing)
        #expect(!again.wrote && again.refused == 1)
        #expect(try await fx.size() == before + 2)
    }

    @Test("A command id reused for a different payload is refused with command.id-reused and writes nothing")
    func reusedCommandId() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await Script.run(fx, Script.setup + [Script.care[0]])
        try await fx.expectRefusedWritingNothing(rule: "command.id-reused", field: "command_id") {
            try await fx.run("set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"cmd-goal-1","goal_id":"g2","consumer_id":"c1","text":"SECRET-TEXT-123","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#)
        }
        // The same command at another clinical time is another command.
        try await fx.expectRefusedWritingNothing(rule: "command.id-reused", field: "command_id") {
            try await fx.run("set-goal", Script.care[0].1.replacingOccurrences(of: "2026-01-20T10:00:00Z", with: "2026-01-20T17:45:00Z"))
        }
        // Another command type under the same id.
        try await fx.expectRefusedWritingNothing(rule: "command.id-reused", field: "command_id") {
            try await fx.run("rate-goal-progress", #"{"occurred_at":"2026-02-01T10:00:00Z","command_id":"cmd-goal-1","goal_id":"g1","consumer_id":"c1","rating":3,"rated_by":"u1","collaborative":true,"date":"2026-02-01"}"#)
        }
    }

    @Test("An occurred_at more than the tolerance ahead of the clock is refused with time.not-in-future")
    func futureRefused() async throws {
        let fx = try CoreFixture() // now = 2026-06-01T12:00:00Z, tolerance 300 s
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        try await fx.expectRefusedWritingNothing(rule: "time.not-in-future", field: "occurred_at", kind: .invalid) {
            try await fx.run(.record(F.goal(text: secret)), at: "2026-06-01T12:05:01Z")
        }
        try await fx.expectRefusedWritingNothing(rule: "time.not-in-future", field: "occurred_at", kind: .invalid) {
            try await fx.run(.record(F.goal(text: secret)), at: "2027-01-01T00:00:00Z")
        }
        let skewed = try await fx.run(.record(F.goal()), at: "2026-06-01T12:04:59Z")
        #expect(skewed.events.count == 1 && skewed.warnings.isEmpty)
    }

    @Test("A clinical date after the day it occurred is refused with date.after-occurred-at; a day of slack is allowed")
    func clinicalDateNotAfterOccurrence() async throws {
        let fx = try CoreFixture() // now = 2026-06-01T12:00:00Z
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        try await fx.expectRefusedWritingNothing(rule: "date.after-occurred-at", field: "date", kind: .invalid) {
            try await fx.run(.record(F.session("s-future", date: day("2030-01-01"))), at: "2026-03-01T10:00:00Z")
        }
        let slack = try await fx.run(.record(F.session("s-slack", date: day("2026-03-02"))), at: "2026-03-01T23:30:00Z")
        #expect(slack.events.count == 1)
        // Every event with a clinical `date` is held to it: a relapse plan, a supporter's
        // registration, an amendment request and its decision too.
        let plan = RelapsePreventionPlanRecorded(planId: "pl-future", planVersion: 1, consumerId: F.consumer, triggers: ["stress"],
                                                 warningSigns: ["sleep"], actions: ["call"], date: day("2099-01-01"))
        let request = AmendmentRequested(requestId: "rq-future", consumerId: F.consumer, requestedChange: secret, date: day("2099-01-01"))
        var supporter = F.supporter("sp-future")
        supporter.date = day("2099-01-01")
        for event in [plan, supporter, request] as [any RecordEvent] {
            try await fx.expectRefusedWritingNothing(rule: "date.after-occurred-at", field: "date", kind: .invalid) {
                try await fx.run(.record(event), at: "2026-03-01T10:00:00Z")
            }
        }
    }

    @Test("Through the record core, a correction is judged on the whole corrected record: the referral, program and practitioners are read for it")
    func correctionJudgedThroughTheCore() async throws {
        let fx = try CoreFixture() // now = 2026-06-01T12:00:00Z
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        let note = try await fx.run(.record(F.session("s-core", date: day("2026-02-10"))))
        try await fx.run(.record(F.discharge()))
        try await fx.expectRefusedWritingNothing(rule: "correction.breaks-record", field: "target_event_id") {
            try await fx.run(.record(F.amend(note.events[0].id, content: ["date": "2026-03-05"])), at: "2026-03-06T10:00:00Z")
        }
        let moved = try await fx.run(.record(F.amend(note.events[0].id, content: ["date": "2026-02-12"])), at: "2026-03-06T10:00:00Z")
        #expect(moved.events.count == 1)
        // An amendment naming another practitioner on staff is judged with that practitioner read
        // too (the streams of the entries as corrected, not only as first recorded).
        try await fx.run(.record(PractitionerJoined(practitionerId: F.practitioner2, programId: F.program, teamId: F.team, role: .practitioner,
                                                    startDate: day("2026-01-05"))), at: "2026-01-05T12:00:00Z")
        let other = try await fx.run(.record(F.amend(note.events[0].id, content: ["practitioners": ["pr2"]])), at: "2026-03-06T11:00:00Z")
        #expect(other.events.count == 1)
    }

    @Test("An amendment cannot date a note after the day the amendment occurred")
    func amendedDateNotInFuture() async throws {
        let fx = try CoreFixture() // now = 2026-06-01T12:00:00Z
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        let note = try await fx.run(.record(F.session("s-amend", date: day("2026-03-01"))))
        let target = note.events[0].id
        try await fx.expectRefusedWritingNothing(rule: "date.after-occurred-at", field: "content.date", kind: .invalid) {
            try await fx.run(.record(F.amend(target, content: ["date": "2030-01-01"])), at: "2026-03-05T10:00:00Z")
        }
        let ok = try await fx.run(.record(F.amend(target, content: ["date": "2026-03-02"])), at: "2026-03-05T10:00:00Z")
        #expect(ok.events.count == 1)
    }

    @Test("A late entry (3 days after it occurred) is written with entry.late, time = occurred_at and recordedat from the store")
    func lateEntry() async throws {
        let fx = try CoreFixture(now: Date())
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        let wallBefore = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000) - 1_000_000)
        let occurred = Timestamp(microseconds: wallBefore.microseconds - 3 * 86_400 * 1_000_000)
        let result = try await fx.run(.record(F.goal()), at: occurred.description)
        let wallAfter = Timestamp(microseconds: Int64(Date().timeIntervalSince1970 * 1_000_000) + 1_000_000)
        #expect(result.warnings.map(\.rule) == ["entry.late"])
        let stored = try #require(try await fx.log.read(from: result.events[0].position, limit: 1).first)
        #expect(stored.time == occurred.description)
        let recordedAt = try #require(Timestamp(stored.recordedAt))
        #expect(recordedAt > wallBefore && recordedAt < wallAfter, "recordedat is the store's clock at the append")
        #expect(recordedAt.seconds(since: occurred) > 3 * 86_400 - 5)
        // An entry within the limit is not flagged.
        let prompt = try await fx.run(.record(F.goal("g2")), at: Timestamp(microseconds: wallBefore.microseconds - 3_600_000_000).description)
        #expect(prompt.warnings.isEmpty)
    }
}

@Suite("Parsing commands: every malformed field is named, never quoted, and nothing is written")
struct CommandParseTests {
    /// Parses and, if that succeeds, executes; expects `.invalid` with `rule` on `field`.
    func expectParseRefusal(_ fx: CoreFixture, name: String?, _ json: String, rule: String, field: String?,
                            sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await fx.expectRefusedWritingNothing(rule: rule, field: field, kind: .invalid, sourceLocation: sourceLocation) {
            let request = try CommandRequest.parse(name: name, json: try JSONValue(parsing: json))
            _ = try await fx.core.execute(request, by: CoreFixture.actor)
        }
    }

    @Test("Unknown command, missing or malformed occurred_at, unknown field, wrong type, vocabulary violation")
    func badJSON() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await Script.run(fx, Script.setup)
        let goal = #""goal_id":"g1","consumer_id":"c1","text":"SECRET-TEXT-123","in_consumers_words":true,"steps":[],"date":"2026-01-20""#
        try await expectParseRefusal(fx, name: "plant-tree", #"{"occurred_at":"2026-01-20T10:00:00Z",\#(goal)}"#,
                                     rule: "command.unknown", field: "command")
        try await expectParseRefusal(fx, name: "set-goal", #"{\#(goal)}"#, rule: "field.required", field: "occurred_at")
        try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20 10:00",\#(goal)}"#, rule: "time.format", field: "occurred_at")
        try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","mood":"SECRET-TEXT-123",\#(goal)}"#,
                                     rule: "field.unknown", field: "mood")
        try await expectParseRefusal(fx, name: "rate-goal-progress",
                                     #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":"g1","consumer_id":"c1","rating":"SECRET-TEXT-123","rated_by":"u1","collaborative":true,"date":"2026-02-01"}"#,
                                     rule: "field.type", field: "rating")
        try await expectParseRefusal(fx, name: "accept-referral",
                                     #"{"occurred_at":"2026-01-20T10:00:00Z","referral_id":"r1","decided_by":"u1","format_offered":"SECRET-TEXT-123","date":"2026-01-12"}"#,
                                     rule: "field.vocabulary", field: "format_offered")
        try await expectParseRefusal(fx, name: "record-group-session",
                                     #"{"occurred_at":"2026-01-20T10:00:00Z","session_id":"gs1","group_id":"gr1","date":"2026-01-22","duration_minutes":90,"facilitators":["pr1"],"topics":["SECRET-TEXT-123"],"attendance":[],"notes":[]}"#,
                                     rule: "field.vocabulary", field: "topics[0]")
        try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":"SECRET TEXT 123","consumer_id":"c1","text":"x","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#,
                                     rule: "field.identifier", field: "goal_id")
        try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z",\#(goal.replacingOccurrences(of: "2026-01-20", with: "2026-02-30"))}"#,
                                     rule: "field.date", field: "date")
        try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","command_id":"has space",\#(goal)}"#,
                                     rule: "command.id", field: "command_id")
        try await expectParseRefusal(fx, name: "set-goal", #"{"command":"achieve-goal","occurred_at":"2026-01-20T10:00:00Z",\#(goal)}"#,
                                     rule: "command.name-mismatch", field: "command")
        try await expectParseRefusal(fx, name: nil, #"["SECRET-TEXT-123"]"#, rule: "command.object", field: "$")
        #expect(try await fx.size() == UInt64(Script.setup.count))
    }

    @Test("A missing payload field is named once: `text`, `attendance[0].status`")
    func missingFieldNamedOnce() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        do {
            try await expectParseRefusal(fx, name: "set-goal", #"{"occurred_at":"2026-01-20T10:00:00Z","goal_id":"g1","consumer_id":"c1","in_consumers_words":true,"steps":[],"date":"2026-01-20"}"#,
                                         rule: "field.required", field: "text")
            try await expectParseRefusal(fx, name: "record-group-session",
                                         #"{"occurred_at":"2026-01-20T10:00:00Z","session_id":"gs1","group_id":"gr1","date":"2026-01-22","duration_minutes":90,"facilitators":["pr1"],"topics":[],"attendance":[{"consumer_id":"c1"}],"notes":[]}"#,
                                         rule: "field.required", field: "attendance[0].status")
        }
        #expect(try await fx.size() == 0)
    }

    @Test("The command name may come from the JSON itself, as in NDJSON imports")
    func nameInJSON() throws {
        let request = try CommandRequest.parse(name: nil, json: try JSONValue(parsing: #"{"command":"achieve-goal","occurred_at":"2026-02-20T10:00:00Z","command_id":"x-1","goal_id":"g1","consumer_id":"c1","date":"2026-02-20"}"#))
        #expect(request.command.name == "achieve-goal")
        #expect(request.commandId == "x-1")
        #expect(request.occurredAt == Timestamp("2026-02-20T10:00:00Z"))
        guard case .record(let e) = request.command else { Issue.record("not a single-event command"); return }
        #expect(e as? GoalAchieved == GoalAchieved(goalId: "g1", consumerId: "c1", date: day("2026-02-20")))
    }

    @Test("Every command name maps to its event and back")
    func catalogRoundTrip() {
        for (name, type) in CommandCatalog.single {
            #expect(CommandCatalog.eventType(of: name).map { ObjectIdentifier($0) } == ObjectIdentifier(type))
            #expect(CommandCatalog.name(of: type) == name)
        }
        #expect(CommandCatalog.names.contains("record-group-session"))
        #expect(Set(CommandCatalog.names).count == CommandCatalog.names.count)
    }
}

@Suite("Concurrent commands on one store")
struct ConcurrencyTests {
    @Test("Two concurrent decisions on one referral: exactly one is written, the other is refused with referral.one-decision")
    func racingDecisions() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(F.program())
        for n in 0..<8 {
            let r = ReferralID("r\(n)")!
            try await fx.run(.record(F.referral(r, consumer: ConsumerID("c\(n)")!)))
            let size = try await fx.size()
            async let a: Result<CommandResult, any Error> = { do { return .success(try await fx.run(.record(F.accept(r)))) } catch { return .failure(error) } }()
            async let b: Result<CommandResult, any Error> = { do { return .success(try await fx.run(.record(F.decline(r, reason: secret)))) } catch { return .failure(error) } }()
            let results = await [a, b]
            let written = results.filter { if case .success = $0 { true } else { false } }
            #expect(written.count == 1, "round \(n)")
            for case .failure(let e) in results {
                #expect((e as? RecordError)?.rule == "referral.one-decision", "round \(n): \(e)")
            }
            #expect(try await fx.size() == size + 1)
            #expect(try await fx.log.version(of: StreamID(r.stream)) == 2)
        }
    }

    @Test("A group formed concurrently with its member's discharge is never written after the discharge (streams only read are checked too)")
    func groupRacesDischarge() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(F.program())
        for n in 0..<40 {
            let c = ConsumerID("c\(n)")!, r = ReferralID("r\(n)")!, e = EnrollmentID("e\(n)")!
            try await fx.record([F.referral(r, consumer: c), F.accept(r), F.enroll(c, referral: r, enrollment: e)])
            let group = GroupFormed(groupId: GroupID("g\(n)")!, programId: F.program, facilitators: [F.practitioner], members: [c],
                                    startDate: day("2026-02-01"))
            async let form: Result<CommandResult, any Error> = { do { return .success(try await fx.run(.record(group))) } catch { return .failure(error) } }()
            async let leave: Result<CommandResult, any Error> = { do { return .success(try await fx.run(.record(F.discharge(c, enrollment: e)))) } catch { return .failure(error) } }()
            let (formed, discharged) = await (form, leave)
            guard case .success(let d) = discharged else { Issue.record("round \(n): the discharge was refused"); continue }
            switch formed {
            case .success(let f):
                // Both written: the group must have been decided, and written, before the discharge.
                #expect(f.events[0].position < d.events[0].position, "round \(n): group formed with a member discharged before it")
            case .failure(let error):
                // Decided after the discharge: refused by the record's rule, not by a conflict.
                #expect((error as? RecordError)?.rule == "record.discharged-only-amendments", "round \(n): \(error)")
            }
        }
    }

    @Test("The same command id executed twice concurrently is written once; both get the same positions, one is marked duplicate")
    func racingRetries() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(F.enrolled())
        for n in 0..<40 {
            let size = try await fx.size()
            let goal = F.goal(GoalID("g\(n)")!)
            async let a = fx.run(.record(goal), id: "retry-\(n)")
            async let b = fx.run(.record(goal), id: "retry-\(n)")
            let (ra, rb) = try await (a, b)
            #expect(ra.events.map(\.position) == rb.events.map(\.position), "round \(n)")
            #expect([ra, rb].filter { !$0.wasDuplicate }.count == 1, "round \(n)")
            #expect(try await fx.size() == size + 1)
        }
    }
}

@Suite("Batches of commands")
struct BatchTests {
    func requests(_ events: [any RecordEvent]) -> [CommandRequest] {
        events.map { CommandRequest(command: .record($0), occurredAt: CoreFixture.occurrence(of: .record($0))) }
    }

    @Test("All-or-nothing: one refused line writes nothing; later lines see earlier ones of the batch")
    func allOrNothing() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(F.enrolled())
        let size = try await fx.size()
        let batch = requests([F.goal(), F.session(goals: ["g1"]), F.goal(text: secret)])
        let outcome = try await fx.core.executeBatch(batch, by: CoreFixture.actor, mode: .allOrNothing)
        #expect(!outcome.wrote && outcome.refused == 1)
        guard case .failure(let e) = outcome.lines[2] else { Issue.record("line 3 should be refused"); return }
        #expect(e.rule == "goal.duplicate" && e.violations.first?.field == "goal_id")
        expectNoSecret(e)
        #expect(try await fx.size() == size)
        let valid = try await fx.core.executeBatch(requests([F.goal(), F.session(goals: ["g1"])]), by: CoreFixture.actor, mode: .allOrNothing)
        #expect(valid.wrote && valid.refused == 0)
        #expect(try await fx.size() == size + 2)
    }

    @Test("Commit-valid: refused lines are skipped and reported, the others written in one append")
    func commitValid() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(F.enrolled())
        let size = try await fx.size()
        let batch = requests([F.goal(), F.session("s1", topics: [.healthyLifestyle]), F.session("s2"), F.session("s2")])
        let outcome = try await fx.core.executeBatch(batch, by: CoreFixture.actor, mode: .commitValid)
        #expect(outcome.wrote && outcome.refused == 2)
        let rules = outcome.lines.map { if case .failure(let e) = $0 { e.rule } else { "ok" } }
        #expect(rules == ["ok", "session.topic-not-in-curriculum", "ok", "session.one-note-per-attendee"])
        #expect(try await fx.size() == size + 2)
    }
}
