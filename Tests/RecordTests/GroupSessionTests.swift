import CanonicalJSON
import ClinicalRecord
import EventLog
import RecordCore
import Testing

/// Three enrolled consumers (c1, c2, c3) of one kit-2009 program, in group gr1.
enum G {
    static let c3: ConsumerID = "c3"
    static let group: GroupID = "gr1"
    static var members: [ConsumerID] { [F.consumer, F.other, c3] }

    static var enrolledThree: [any RecordEvent] {
        F.twoEnrolled() + [F.referral("r3", consumer: c3), F.accept("r3"), F.enroll(c3, referral: "r3", enrollment: "e3")]
    }

    static var formed: GroupFormed {
        GroupFormed(groupId: group, programId: F.program, facilitators: [F.practitioner], members: members, startDate: day("2026-01-16"))
    }

    /// c1 and c2 attend, c3 does not show.
    static func session(_ id: SessionID = "gs1", absent: AttendanceStatus = .noShow, topics: [Module] = [.stressVulnerability],
                        notes: [GroupNote]? = nil) -> GroupSessionRecording {
        GroupSessionRecording(
            sessionId: id, groupId: group, date: day("2026-01-22"), durationMinutes: 90, facilitators: [F.practitioner], topics: topics,
            attendance: [.init(consumerId: F.consumer, status: .attended), .init(consumerId: F.other, status: .attended),
                         .init(consumerId: c3, status: absent, reason: secret)],
            notes: notes ?? [GroupNote(consumerId: F.consumer, educationalTechniques: [.interactiveTeaching], homework: secret),
                             GroupNote(consumerId: F.other, cbt: [.modeling], handoutsGiven: true)])
    }
}

@Suite("Group sessions: one decision over the group and each attendee")
struct GroupSessionDecisionTests {
    @Test("A group of 3 with one absent becomes GroupSessionHeld (attended 2), 3 AttendanceRecorded and 2 SessionRecorded")
    func threeMembersOneAbsent() throws {
        let h = History(G.enrolledThree + [G.formed])
        let d = try #require(expectAccepted(when(h.state, .recordGroupSession(G.session()))))
        #expect(d.events.count == 6)
        let held = try #require(d.events.first as? GroupSessionHeld)
        #expect(held.attended == 2 && held.rosterSize == 3 && held.sessionId == "gs1" && held.groupId == G.group)
        #expect(held.topics == [.stressVulnerability])
        let attendance = d.events.compactMap { $0 as? AttendanceRecorded }
        #expect(attendance.map(\.consumerId) == G.members)
        #expect(attendance.map(\.status) == [.attended, .attended, .noShow])
        #expect(attendance.allSatisfy { $0.sessionId == "gs1" && $0.groupId == G.group })
        let notes = d.events.compactMap { $0 as? SessionRecorded }
        #expect(notes.map(\.consumerId) == [F.consumer, F.other])
        #expect(notes.allSatisfy { $0.format == .group && $0.groupId == G.group && $0.topics == [.stressVulnerability] })
        #expect(notes.allSatisfy { $0.practitioners == [F.practitioner] && $0.durationMinutes == 90 })
        #expect(notes[0].homework == secret && notes[0].educationalTechniques == [.interactiveTeaching])
        #expect(notes[1].handoutsGiven && notes[1].cbt == [.modeling])
        #expect(d.streams == ["group-gr1", "consumer-c1", "consumer-c2", "consumer-c3"])
        // The group stream's event carries counts only, never another attendee's note.
        let groupData = try JSONValueEncoder().encode(held)
        #expect(!"\(groupData)".contains("SECRET"))
    }

    @Test("A group session does not record a member's attendance before that member's enrollment starts")
    func attendanceBeforeEnrollment() {
        let late = F.twoEnrolled() + [F.referral("r3", consumer: G.c3), F.accept("r3"),
                                      F.enroll(G.c3, referral: "r3", enrollment: "e3", start: day("2026-02-01"))]
        let h = History(late + [G.formed])
        expectRefused(when(h.state, .recordGroupSession(G.session())), rule: "attendance.before-enrollment", field: "attendance[2].consumer_id")
        var after = G.session()
        after.date = day("2026-02-05")
        expectAccepted(when(h.state, .recordGroupSession(after)))
    }

    @Test("Applying the decision records attendance and notes: the same session cannot be recorded twice")
    func afterwards() {
        var h = History(G.enrolledThree + [G.formed])
        _ = try? h.run(.recordGroupSession(G.session()))
        expectRefused(when(h.state, .recordGroupSession(G.session())), rule: "group-session.duplicate", field: "session_id")
        expectRefused(when(h.state, F.session("gs1", homework: secret)), rule: "session.one-note-per-attendee", field: "session_id")
        expectRefused(when(h.state, AttendanceRecorded(sessionId: "gs1", consumerId: G.c3, date: day("2026-01-22"), status: .attended)),
                      rule: "attendance.one-status-per-session", field: "session_id")
        // The taught module counts for attendees only.
        let review = { (c: ConsumerID) in ModuleReviewCompleted(consumerId: c, module: .stressVulnerability, date: day("2026-02-01")) }
        expectAccepted(when(h.state, review(F.other)))
        expectRefused(when(h.state, review(G.c3)), rule: "module-review.module-not-taught", field: "module")
    }

    @Test("Membership is judged on the session's day: a late session may list a member who has left since, not one who joined later")
    func membershipOnTheSessionsDay() {
        var h = History(G.enrolledThree + [G.formed])
        _ = h.apply(GroupMembershipChanged(groupId: G.group, added: [], removed: [G.c3], effectiveDate: day("2026-02-01")))
        expectAccepted(when(h.state, .recordGroupSession(G.session())))  // dated 2026-01-22, when c3 was a member
        var later = G.session("gs2")
        later.date = day("2026-02-05")
        expectRefused(when(h.state, .recordGroupSession(later)), rule: "group-session.not-a-member", field: "attendance[2].consumer_id")
        // Added on Feb 10: not a member of a session on Feb 5.
        _ = h.apply(GroupMembershipChanged(groupId: G.group, added: [G.c3], removed: [], effectiveDate: day("2026-02-10")))
        expectRefused(when(h.state, .recordGroupSession(later)), rule: "group-session.not-a-member", field: "attendance[2].consumer_id")
        later.date = day("2026-02-12")
        expectAccepted(when(h.state, .recordGroupSession(later)))
    }

    @Test("A membership change that repeats a consumer is refused (a repeat left a member in the group for ever)")
    func membershipChangeRepeats() {
        var h = History(G.enrolledThree + [G.formed])
        _ = h.apply(GroupMembershipChanged(groupId: G.group, added: [], removed: [G.c3], effectiveDate: day("2026-02-01")))
        expectRefusedWith(when(h.state, GroupMembershipChanged(groupId: G.group, added: [G.c3, G.c3], removed: [], effectiveDate: day("2026-02-10"))),
                          rule: "field.unique", field: "added")
        expectRefusedWith(when(h.state, GroupMembershipChanged(groupId: G.group, added: [], removed: [F.other, F.other], effectiveDate: day("2026-02-10"))),
                          rule: "field.unique", field: "removed")
    }

    @Test("Notes must match attendance: a note for an absentee or a missing note is refused")
    func notesMatchAttendance() {
        let h = History(G.enrolledThree + [G.formed])
        let forAbsent = G.session(notes: [GroupNote(consumerId: F.consumer), GroupNote(consumerId: F.other), GroupNote(consumerId: G.c3, homework: secret)])
        expectRefused(when(h.state, .recordGroupSession(forAbsent)), rule: "group-session.note-only-for-attendees", field: "notes[2].consumer_id")
        let missing = G.session(notes: [GroupNote(consumerId: F.consumer, homework: secret)])
        expectRefused(when(h.state, .recordGroupSession(missing)), rule: "group-session.one-note-per-attendee", field: "notes")
    }

    @Test("A non-member, an unknown group, a discharged attendee or an off-curriculum topic refuses the whole session")
    func wholeSessionRefused() {
        let h = History(G.enrolledThree + [G.formed, F.referral("r4", consumer: "c4"), F.accept("r4"),
                                           F.enroll("c4", referral: "r4", enrollment: "e4")])
        var stranger = G.session()
        stranger.attendance.append(.init(consumerId: "c4", status: .noShow))
        expectRefused(when(h.state, .recordGroupSession(stranger)), rule: "group-session.not-a-member", field: "attendance[3].consumer_id")
        var unknown = G.session()
        unknown.groupId = "gr9"
        expectRefused(when(h.state, .recordGroupSession(unknown)), rule: "group.unknown", field: "group_id")
        expectRefused(when(h.state, .recordGroupSession(G.session(topics: [.healthyLifestyle]))),
                      rule: "session.topic-not-in-curriculum", field: "notes[0].topics[0]")
        var discharged = h
        discharged.apply(F.discharge(G.c3, enrollment: "e3"))
        expectRefused(when(discharged.state, .recordGroupSession(G.session())),
                      rule: "record.discharged-only-amendments", field: "attendance[2].consumer_id")
        // Leaving the discharged member off the roster is fine.
        var without = G.session()
        without.attendance.removeLast()
        let d = expectAccepted(when(discharged.state, .recordGroupSession(without)))
        #expect((d?.events.first as? GroupSessionHeld)?.rosterSize == 3)
    }

    @Test("Malformed group sessions are refused as invalid with every field named")
    func malformed() {
        let h = History(G.enrolledThree + [G.formed])
        var bad = G.session()
        bad.durationMinutes = 0
        bad.facilitators = []
        bad.attendance.append(.init(consumerId: F.consumer, status: .noShow))
        let r = when(h.state, .recordGroupSession(bad))
        expectRefusedWith(r, rule: "field.range", field: "duration_minutes")
        expectRefusedWith(r, rule: "field.not-empty", field: "facilitators")
        expectRefusedWith(r, rule: "field.unique", field: "attendance")
        let unsigned = G.session(notes: [GroupNote(consumerId: F.consumer), GroupNote(consumerId: F.other, consumerSigned: false)])
        expectRefusedWith(when(h.state, .recordGroupSession(unsigned)), rule: "session.consumer-signature-or-reason",
                          field: "notes[1].consumer_signature_absent_reason")
    }
}

@Suite("Group sessions on a real store")
struct GroupSessionStoreTests {
    @Test("A group session is one atomic append: contiguous positions across the group and each attendee's stream")
    func atomicAppend() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(G.enrolledThree + [G.formed])
        var before: [String: StreamVersion] = [:]
        for s in ["group-gr1", "consumer-c1", "consumer-c2", "consumer-c3"] { before[s] = try await fx.log.version(of: StreamID(s)) }
        let size = try await fx.size()
        let result = try await fx.run(.recordGroupSession(G.session()), id: "group-cmd-1")
        #expect(!result.wasDuplicate)
        #expect(result.events.count == 6)
        #expect(result.events.map(\.position) == Array(size..<(size + 6)))
        #expect(try await fx.size() == size + 6)
        let after = try await fx.log.version(of: StreamID("group-gr1"))
        #expect(after == before["group-gr1"]! + 1)
        #expect(try await fx.log.version(of: StreamID("consumer-c1")) == before["consumer-c1"]! + 2)
        #expect(try await fx.log.version(of: StreamID("consumer-c2")) == before["consumer-c2"]! + 2)
        #expect(try await fx.log.version(of: StreamID("consumer-c3")) == before["consumer-c3"]! + 1)
        let stored = try await fx.log.read(from: size, limit: 10)
        #expect(stored.count == 6)
        #expect(Set(stored.map(\.time)) == ["2026-01-22T10:00:00Z"])  // occurred on the session's day
        let types = Dictionary(grouping: stored, by: \.type).mapValues(\.count)
        #expect(types == ["org.imr.group.session-held.v1": 1, "org.imr.attendance.recorded.v1": 3, "org.imr.session.recorded.v2": 2])
        // The group stream holds no attendee's note text.
        let groupEvents = stored.filter { $0.stream.rawValue == "group-gr1" }
        #expect(groupEvents.count == 1 && !String(decoding: groupEvents[0].bytes, as: UTF8.self).contains("SECRET"))
        // Loading the streams back, the state sees the session.
        let (state, _) = try await fx.core.loadState(["group-gr1", "consumer-c1", "consumer-c3"])
        #expect(state.groups[G.group]?.sessions.contains("gs1") == true)
        #expect(state.consumers[F.consumer]?.notes.contains("gs1") == true)
        #expect(state.consumers[G.c3]?.attendance.contains("gs1") == true && state.consumers[G.c3]?.notes.isEmpty == true)
        // The retry of the same command id writes nothing and returns the same positions.
        let retry = try await fx.run(.recordGroupSession(G.session()), id: "group-cmd-1")
        #expect(retry.wasDuplicate)
        #expect(retry.events.map(\.position) == result.events.map(\.position))
        #expect(try await fx.size() == size + 6)
    }

    @Test("A group session with a discharged attendee is refused and writes nothing")
    func dischargedAttendeeWritesNothing() async throws {
        let fx = try CoreFixture()
        defer { fx.remove() }
        try await fx.record(G.enrolledThree + [G.formed, F.discharge(G.c3, enrollment: "e3")])
        try await fx.expectRefusedWritingNothing(rule: "record.discharged-only-amendments", field: "attendance[2].consumer_id") {
            try await fx.run(.recordGroupSession(G.session()))
        }
        // Even when the discharged member is the only one marked attended.
        let onlyThem = GroupSessionRecording(
            sessionId: "gs2", groupId: G.group, date: day("2026-03-05"), durationMinutes: 60, facilitators: [F.practitioner], topics: [],
            attendance: [.init(consumerId: G.c3, status: .attended)], notes: [GroupNote(consumerId: G.c3, homework: secret)])
        try await fx.expectRefusedWritingNothing(rule: "record.discharged-only-amendments", field: "attendance[0].consumer_id") {
            try await fx.run(.recordGroupSession(onlyThem))
        }
        #expect(try await fx.log.version(of: StreamID("group-gr1")) == 1)
    }
}
