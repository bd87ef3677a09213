import CanonicalJSON
import ClinicalRecord
import ProgramSimulator
import RecordCore
import Testing

/// The tape readers of the frequent event types (``TapeReadableEvent``) against `Codable`.
@Suite("Event payloads read straight from the tape")
struct TapeReadingTests {
    let codec = EventCodec()

    /// Parses the canonical bytes of `data` and reads them with `type`'s tape reader.
    func read(_ type: any TapeReadableEvent.Type, _ data: JSONValue) throws -> (any RecordEvent)? {
        var tape = JSONTape()
        try tape.parse(data.canonicalBytes)
        return type.init(tape: tape, object: tape.root)
    }

    /// Whether two events are equal (same type and value).
    func same(_ a: any RecordEvent, _ b: any RecordEvent) -> Bool {
        func compare<T: RecordEvent>(_ a: T) -> Bool { (b as? T) == a }
        return compare(a)
    }

    /// Checks `event`'s reader against `Codable` on `data`; the type's name when it has a reader.
    func check(_ event: any RecordEvent, data: JSONValue) throws -> String? {
        let eventType: any RecordEvent.Type = type(of: event)
        guard let reader = eventType as? any TapeReadableEvent.Type else { return nil }
        let decoded = try codec.decode(type: eventType, version: eventType.version, data: data)
        let fast = try read(reader, data)
        let matches = fast.map { same($0, decoded) } ?? false
        #expect(matches, "\(eventType.typeName)")
        return eventType.typeName
    }

    @Test("Every event of simulated programs is read by its type's reader, equal to the Codable decoding")
    func simulatedEventsMatchCodable() throws {
        var seen: [String: Int] = [:]
        let configs = [ProgramSimulator.benchmark(events: 12_000, seed: 5), ProgramSimulator.small(seed: 21),
                       ProgramSimulator.small(seed: 22)]
        for config in configs {
            var state = RecordState()
            var written = 0
            for request in ProgramSimulator(config: config).commands() {
                if written >= 12_000 { break }
                let decision = try state.decide(request.command)
                var index = 0
                for event in decision.events {
                    let data = try codec.encode(event)
                    state.apply(event, id: RecordCore.eventID(commandId: request.commandId!, index: index), data: data)
                    index += 1
                    written += 1
                    if let name = try check(event, data: data) { seen[name, default: 0] += 1 }
                }
            }
        }
        // Every reader met real events, so a member added to a type without its reader fails here.
        var readers: [String] = []
        for eventType in EventCatalog.all where eventType is any TapeReadableEvent.Type { readers.append(eventType.typeName) }
        #expect(readers.count >= 18)
        for name in readers { #expect(seen[name, default: 0] > 0, "no simulated \(name)") }
    }

    /// One event of each reader's type with every optional member set.
    static let full: [any RecordEvent] = [
        AttendanceRecorded(sessionId: "s1", consumerId: "c1", groupId: "g1", date: LocalDate("2026-01-05")!, status: .noShow,
                           reason: "ill – ☂"),
        SessionRecorded(sessionId: "s1", consumerId: "c1", format: .group, groupId: "g1", date: LocalDate("2026-01-05")!,
                        durationMinutes: 45, practitioners: ["p1", "p2"], supporterPresent: "a sister",
                        planProblem: "sleep \"quoted\"", goalsFollowedUp: ["g-1"], goalSet: "g-2", motivational: MotivationalStrategy.allCases,
                        topics: [.stressVulnerability], educationalTechniques: EducationalTechnique.allCases, cbt: CBTTechnique.allCases,
                        skills: Skill.allCases, homework: "walk\nthe dog", consumerView: "ok", practitionerView: "fine",
                        nextSessionPlan: "review", handoutsGiven: true, practitionerSigned: false, consumerSigned: false,
                        consumerSignatureAbsentReason: "left early"),
        GroupSessionHeld(sessionId: "s1", groupId: "g1", date: LocalDate("2026-01-05")!, durationMinutes: 60,
                         facilitators: ["p1"], topics: [.socialSupport, .usingMedication], attended: 5, rosterSize: 8),
        OutcomeMeasureRecorded(consumerId: "c1", instrument: Instrument.allCases.last!, instrumentVersion: "1.0",
                               itemResponses: [0, 4, 2], total: 2.5, date: LocalDate("2026-01-05")!),
        HandoutsProvided(consumerId: "c1", module: .practicalFacts, handoutIds: ["h1", "h2"], recipient: .supporter,
                         sessionId: "s1", date: LocalDate("2026-01-05")!),
        ModuleReviewCompleted(consumerId: "c1", module: .practicalFacts, score: 7, answers: ["a", "b"], date: LocalDate("2026-01-05")!),
        GoalProgressRated(goalId: "g-1", consumerId: "c1", rating: 3, note: "better", ratedBy: "u1", collaborative: false,
                          date: LocalDate("2026-01-05")!),
        SupporterContactRecorded(consumerId: "c1", supporterId: "sp1", date: LocalDate("2026-01-05")!, mode: .phone,
                                 purpose: SupporterPurpose.allCases.last!, note: "called"),
        GoalSet(goalId: "g-1", consumerId: "c1", text: "work", inConsumersWords: false, measurableCriterion: "3 days",
                steps: ["apply"], targetDate: LocalDate("2026-06-01")!, planProblem: "jobs", sessionId: "s1",
                date: LocalDate("2026-01-05")!),
        ReferralReceived(referralId: "r1", consumerId: "c1", programId: "p1", source: .treatmentTeam, referrer: "Dr \"A\" – ward 3",
                         reason: "symptoms\nworse", date: LocalDate("2026-01-05")!),
        ReferralAccepted(referralId: "r1", decidedBy: "u1", formatOffered: .combined, date: LocalDate("2026-01-06")!),
        ConsumerEnrolled(enrollmentId: "e1", consumerId: "c1", programId: "p1", referralId: "r1", format: .individual,
                         startDate: LocalDate("2026-01-07")!, curriculum: CurriculumEdition.allCases.last!,
                         scaleVersion: FidelityScaleVersion.allCases.last!),
        PractitionerAssigned(enrollmentId: "e1", consumerId: "c1", practitionerId: "p-1", effectiveDate: LocalDate("2026-01-07")!),
        ConsumerDischarged(enrollmentId: "e1", consumerId: "c1", date: LocalDate("2026-06-07")!, reason: DischargeReason.allCases.last!,
                           modulesCompleted: [.practicalFacts, .copingWithStress], boosterReferral: "booster in 3 months"),
        GroupMembershipChanged(groupId: "g1", added: ["c1", "c2"], removed: ["c3"], effectiveDate: LocalDate("2026-02-01")!),
        GoalAchieved(goalId: "g-1", consumerId: "c1", note: "done ✓", date: LocalDate("2026-03-01")!),
        GoalWithdrawn(goalId: "g-2", consumerId: "c1", reason: "moved on", date: LocalDate("2026-03-02")!),
        SupervisionHeld(teamId: "t1", kind: .sideBySide, leader: "p-1", practitioners: ["p-2", "p-3"], consultant: "external consultant",
                        date: LocalDate("2026-01-09")!, durationMinutes: 60, casesReviewed: ["c1"]),
    ]

    @Test("Events with every optional member set, and the same with none, read as Codable reads them")
    func optionalMembers() throws {
        for event in Self.full {
            let eventType: any RecordEvent.Type = type(of: event)
            let name = eventType.typeName
            let reader = try #require(eventType as? any TapeReadableEvent.Type, "\(name)")
            guard case .object(let members) = try codec.encode(event) else { Issue.record("not an object"); continue }
            // With every member; with each optional one left out; with each optional one `null`.
            var variants: [JSONValue] = [.object(members)]
            for (name, _) in members {
                var fewer = members
                fewer[name] = nil
                var nulled = members
                nulled[name] = .null
                variants += [.object(fewer), .object(nulled)]
            }
            for data in variants {
                let codable = try? codec.decode(type: eventType, version: eventType.version, data: data)
                let fast = try read(reader, data)
                if let codable {
                    let matches = fast.map { same($0, codable) } ?? false
                    #expect(matches, "\(name): \(data)")
                } else {
                    // What Codable refuses, the reader refuses too (the caller then gets Codable's error).
                    let refused = fast == nil
                    #expect(refused, "\(name) read what Codable refuses: \(data)")
                }
            }
        }
    }

    @Test("Data the reader does not expect gives nil: an unknown member, a wrong JSON type, an unknown term, members out of order")
    func unexpectedData() throws {
        let event = AttendanceRecorded(sessionId: "s1", consumerId: "c1", date: LocalDate("2026-01-05")!, status: .attended)
        guard case .object(var members) = try codec.encode(event) else { Issue.record("not an object"); return }
        #expect(try read(AttendanceRecorded.self, .object(members)) != nil)
        var extra = members
        extra["zzz"] = 1
        #expect(try read(AttendanceRecorded.self, .object(extra)) == nil)
        var wrongType = members
        wrongType["date"] = 20260105
        #expect(try read(AttendanceRecorded.self, .object(wrongType)) == nil)
        members["status"] = "came-by"
        #expect(try read(AttendanceRecorded.self, .object(members)) == nil)
        // Not canonical: the same members, `status` first.
        var tape = JSONTape()
        try tape.parse(Array(#"{"status":"attended","consumer_id":"c1","date":"2026-01-05","session_id":"s1"}"#.utf8))
        #expect(AttendanceRecorded(tape: tape, object: tape.root) == nil)
        try tape.parse(Array(#"{"consumer_id":"c1","date":"2026-01-05","session_id":"s1","status":"attended"}"#.utf8))
        #expect(AttendanceRecorded(tape: tape, object: tape.root) == event)
        // An integer member holding a fraction (numbers past ±(2^53 − 1) do not parse at all).
        let rating = GoalProgressRated(goalId: "g-1", consumerId: "c1", rating: 3, ratedBy: "u1", date: LocalDate("2026-01-05")!)
        guard case .object(var r) = try codec.encode(rating) else { Issue.record("not an object"); return }
        r["rating"] = 3.5
        #expect(try read(GoalProgressRated.self, .object(r)) == nil)
        r["rating"] = 3.0
        #expect(try read(GoalProgressRated.self, .object(r)).map { same($0, rating) } == true)
    }
}
