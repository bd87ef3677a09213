import CanonicalJSON
import ClinicalRecord
import EventLog
import EventLogTesting
import Foundation
import Projections
import RecordCore
import Testing

/// Folds events straight through ``FidelityProjection`` (no store), the way the engine does:
/// one record per stream, each event with its own id.
struct FidelityFold {
    var records: [String: FidelityProjection.Record] = [:]
    var count = 0

    /// Folds `event` and returns its id (`ev-N` unless given).
    @discardableResult
    mutating func add(_ event: any RecordEvent, id: String? = nil, day: LocalDate = LocalDate("2025-01-01")!) -> String {
        count += 1
        let eventID = id ?? "ev-\(count)"
        let time = Timestamp(microseconds: Int64(day.dayNumber) * 86_400_000_000 + 36_000_000_000)
        let recorded = RecordedEvent(position: UInt64(count - 1), id: eventID, stream: event.stream, occurredAt: time, recordedAt: time, event: event)
        var record = records[event.stream]
        FidelityProjection().apply(recorded, to: &record)
        records[event.stream] = record
        return eventID
    }

    static let start = LocalDate("2024-01-01")!
    static let windowEnd = LocalDate("2025-06-30")!
    static let window = LocalDate("2025-01-01")!...windowEnd

    mutating func program(scale: FidelityScaleVersion = .rev2005, curriculum: CurriculumEdition = .kit2009) {
        add(ProgramEstablished(programId: "p1", name: "North", curriculum: curriculum, fidelityScale: scale, startDate: Self.start))
    }

    mutating func enroll(_ c: Int, on day: LocalDate = start, scale: FidelityScaleVersion = .rev2005, curriculum: CurriculumEdition = .kit2009) {
        add(ConsumerEnrolled(enrollmentId: .init("e\(c)")!, consumerId: consumer(c), programId: "p1", referralId: .init("r\(c)")!,
                             format: .individual, startDate: day, curriculum: curriculum, scaleVersion: scale))
    }

    func consumer(_ c: Int) -> ConsumerID { ConsumerID("c\(c)")! }

    @discardableResult
    mutating func note(_ c: Int, on day: LocalDate, n: Int = 0, practitioner: PractitionerID = "pr1", topics: [Module] = [],
                       motivational: [MotivationalStrategy] = [], cbt: [CBTTechnique] = [], skills: [Skill] = [],
                       goals: [GoalID] = [], handouts: Bool = false, supporter: String? = nil) -> String {
        add(SessionRecorded(sessionId: .init("s\(c)-\(day)-\(n)")!, consumerId: consumer(c), format: .individual, date: day,
                            durationMinutes: 45, practitioners: [practitioner], supporterPresent: supporter, goalsFollowedUp: goals,
                            motivational: motivational, topics: topics, cbt: cbt, skills: skills, handoutsGiven: handouts), day: day)
    }

    /// `weeks` weekly notes for consumer `c` from `first`.
    mutating func weekly(_ c: Int, from first: LocalDate, weeks: Int) {
        for w in 0..<weeks { note(c, on: first.adding(days: 7 * w)) }
    }

    /// A group session of `g` on `day` attended by consumers `first..<first + attended`, as the
    /// rules record it: one group note per attendee, then the group stream's `GroupSessionHeld`.
    /// Consumers not yet folded are enrolled first. Returns the `GroupSessionHeld`'s id.
    @discardableResult
    mutating func groupSession(_ id: SessionID, group g: GroupID = "g1", on day: LocalDate, attended: Int, from first: Int = 1) -> String {
        for c in first..<(first + attended) {
            if records[consumer(c).stream]?.consumer == nil { enroll(c) }
            add(SessionRecorded(sessionId: id, consumerId: consumer(c), format: .group, groupId: g, date: day, durationMinutes: 60,
                                practitioners: ["pr1"]), day: day)
        }
        return add(GroupSessionHeld(sessionId: id, groupId: g, date: day, durationMinutes: 60, facilitators: ["pr1"], topics: [],
                                    attended: attended, rosterSize: 30), day: day)
    }

    func report(window: ClosedRange<LocalDate> = window, thresholds: FidelityThresholds = .init()) -> FidelityReport {
        FidelityProjection.report(records: records, program: "p1", window: window, asOf: window.upperBound, thresholds: thresholds)
    }
}

extension FidelityReport {
    func item(_ n: Int) -> Item { items[n - 1] }
}

@Suite("Fidelity: items 1–4 with the published anchors")
struct FidelityPublishedItemTests {
    @Test("Item 1: the largest group in the window sets the score", arguments: [
        (1, 5), (8, 5), (9, 4), (10, 4), (11, 3), (12, 3), (13, 2), (15, 2), (16, 1), (25, 1),
    ] as [(Int, Int)])
    func groupSize(attended: Int, score: Int) {
        var f = FidelityFold()
        f.program()
        f.add(GroupFormed(groupId: "g1", programId: "p1", facilitators: ["pr1"], members: [], startDate: FidelityFold.start))
        let small = f.groupSession("gs1", on: LocalDate("2025-02-03")!, attended: min(attended, 3))
        let big = f.groupSession("gs2", on: LocalDate("2025-03-03")!, attended: attended)
        // A bigger session outside the window does not count.
        f.groupSession("gs0", on: LocalDate("2024-11-04")!, attended: 30)
        let item = f.report().item(1)
        #expect(item.score == score)
        #expect(item.value == Double(attended))
        #expect(item.provisional == false)
        #expect(item.measure.hasPrefix("max attendees \(attended)"))
        // Evidence: the window's group sessions, largest first.
        #expect(item.evidence == (attended >= 3 ? [big, small] : [small, big]))
        #expect(item.evidenceCount == 2)
    }

    @Test("Item 1: a group of another program does not count; individual notes alone score 5")
    func groupOfAnotherProgram() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.add(GroupFormed(groupId: "g9", programId: "p9", facilitators: ["pr1"], members: [], startDate: FidelityFold.start))
        f.groupSession("gs1", group: "g9", on: LocalDate("2025-02-03")!, attended: 20, from: 2)
        let n = f.note(1, on: LocalDate("2025-02-04")!)
        let item = f.report().item(1)
        #expect(item.score == 5)
        #expect(item.value == 1)
        #expect(item.evidence == [n])
    }

    @Test("Item 2: a consumer enrolled exactly N calendar months by the window's end is eligible")
    func itemTwoCalendarMonths() {
        var f = FidelityFold()
        f.program()
        let enrolled = LocalDate("2025-01-05")!
        f.enroll(1, on: enrolled)
        f.weekly(1, from: enrolled, weeks: 26)  // 2025-01-05 … 2025-06-29
        let end = LocalDate("2025-07-05")!  // six calendar months after the enrollment, 181 days
        let item = f.report(window: LocalDate("2025-01-06")!...end).item(2)
        #expect(item.value == 100, "\(item.measure)")
        #expect(item.score == 5)
        #expect(f.report(window: LocalDate("2025-01-06")!...end.adding(days: -1)).item(2).note?.contains("no data") == true)
    }

    @Test("Item 1: no session at all in the window is no data, scored 1 and said so")
    func noSessions() {
        var f = FidelityFold()
        f.program()
        let item = f.report().item(1)
        #expect(item.score == 1)
        #expect(item.value == nil)
        #expect(item.note?.contains("no data") == true)
    }

    @Test("Items 2 and 4: the published percentage bands at their edges", arguments: [
        (0, 1), (19, 1), (19.99, 1), (20, 2), (39.9, 2), (40, 3), (69.9, 3), (70, 4), (89.9, 4), (90, 5), (100, 5),
    ] as [(Double, Int)])
    func percentBands(percent: Double, score: Int) {
        #expect(FidelityReport.percentScore(percent) == score)
    }

    @Test("Item 4: share of the roster given handouts, at 19 %, 20 %, 39 %, 40 %, 89 % and 90 %", arguments: [
        (19, 1), (20, 2), (39, 2), (40, 3), (89, 4), (90, 5),
    ] as [(Int, Int)])
    func handouts(given: Int, score: Int) {
        var f = FidelityFold()
        f.program()
        var ids: [String] = []
        for c in 1...100 {
            f.enroll(c)
            if c <= given {
                // Half through HandoutsProvided, half through the note's flag; a second handout does not add evidence.
                if c % 2 == 0 {
                    ids.append(f.add(HandoutsProvided(consumerId: f.consumer(c), module: .recoveryStrategies, handoutIds: ["h1"],
                                                      date: LocalDate("2025-02-01")!)))
                    f.add(HandoutsProvided(consumerId: f.consumer(c), module: .practicalFacts, handoutIds: ["h2"], date: LocalDate("2025-03-01")!))
                } else {
                    ids.append(f.note(c, on: LocalDate("2025-02-01")!, handouts: true))
                }
            }
        }
        let item = f.report().item(4)
        #expect(item.score == score)
        #expect(item.value == Double(given))
        #expect(item.numerator == given && item.denominator == 100)
        #expect(item.provisional == false)
        #expect(item.evidenceCount == given)
        // The first handout of each consumer given any, ordered by date then id, capped at 25.
        #expect(item.evidence == Array(ids.sorted().prefix(25)))
    }

    @Test("Item 2: share of the eligible roster with 6 months of weekly sessions, at 15 %, 20 %, 85 % and 90 %", arguments: [
        (3, 1), (4, 2), (17, 4), (18, 5),
    ] as [(Int, Int)])
    func programLength(qualifying: Int, score: Int) {
        var f = FidelityFold()
        f.program(scale: .rev2005)
        for c in 1...20 {
            f.enroll(c)
            if c <= qualifying { f.weekly(c, from: LocalDate("2024-03-04")!, weeks: 26) }
            else { f.weekly(c, from: LocalDate("2024-03-04")!, weeks: 25) }  // one short of ⌈4.33·6⌉ = 26
        }
        // Enrolled too recently to be eligible: not in the denominator.
        f.enroll(21, on: LocalDate("2025-03-01")!)
        let r = f.report()
        let item = r.item(2)
        #expect(r.rosterSize == 21)
        #expect(item.denominator == 20)
        #expect(item.numerator == qualifying)
        #expect(item.score == score)
        #expect(item.provisional == false)
        #expect(item.evidenceCount == qualifying * 26)
    }

    @Test("Item 2: 26 sessions squeezed into a few weeks do not span 6 months; a discharged consumer is eligible")
    func programLengthSpan() {
        var f = FidelityFold()
        f.program(scale: .rev2005)
        f.enroll(1)
        for n in 0..<26 { f.note(1, on: LocalDate("2024-06-03")!.adding(days: n / 2), n: n) }  // 26 notes in 13 days
        f.enroll(2, on: LocalDate("2025-03-01")!)
        f.note(2, on: LocalDate("2025-03-03")!)
        f.add(ConsumerDischarged(enrollmentId: "e2", consumerId: f.consumer(2), date: LocalDate("2025-03-20")!, reason: .droppedOut,
                                 modulesCompleted: []))
        f.enroll(3)
        f.weekly(3, from: LocalDate("2024-06-03")!, weeks: 52)  // weekly for a year
        let item = f.report().item(2)
        #expect(item.denominator == 3)
        #expect(item.numerator == 1)
        #expect(item.score == 2)  // 33 %
    }

    @Test("Item 2: the scale version sets N (rev. 3-24-05: 6 months; KIT 2009: 3 months)")
    func programLengthByScale() {
        #expect(FidelityReport.programLengthRule(.rev2005) == (6, 26, 182))
        #expect(FidelityReport.programLengthRule(.kit2009) == (3, 13, 91))
        for (scale, score) in [(FidelityScaleVersion.kit2009, 5), (.rev2005, 1)] {
            var f = FidelityFold()
            f.program(scale: scale)
            f.enroll(1, scale: scale)
            f.weekly(1, from: LocalDate("2024-09-02")!, weeks: 13)  // 13 weekly sessions: 3 months
            let r = f.report()
            #expect(r.scaleVersion == scale.rawValue)
            #expect(r.item(2).denominator == 1)
            #expect(r.item(2).score == score, "\(scale)")
        }
    }

    @Test("Item 3: distinct curriculum modules taught in the window, rev. 3-24-05 anchors", arguments: [
        (1, 1), (2, 2), (3, 2), (4, 3), (5, 3), (6, 4), (7, 4), (8, 5), (9, 5), (10, 5),
    ] as [(Int, Int)])
    func curriculumRev2005(modules: Int, score: Int) {
        let r = curriculumReport(modules: modules, scale: .rev2005)
        #expect(r.item(3).score == score)
        #expect(r.item(3).value == Double(modules))
        #expect(r.item(3).provisional == false)
    }

    @Test("Item 3: under the 2009 KIT a 5 needs at least 9 of 10 modules", arguments: [
        (7, 4), (8, 4), (9, 5), (10, 5),
    ] as [(Int, Int)])
    func curriculumKit(modules: Int, score: Int) {
        let r = curriculumReport(modules: modules, scale: .kit2009)
        #expect(r.item(3).score == score)
        #expect(r.item(3).note?.contains("KIT") == true)
    }

    /// A program whose consumers are taught the first `modules` modules of the KIT curriculum
    /// in the window (each twice, and one more outside it), with handouts.
    func curriculumReport(modules: Int, scale: FidelityScaleVersion) -> FidelityReport {
        var f = FidelityFold()
        f.program(scale: scale)
        f.enroll(1)
        f.enroll(2)
        let list = CurriculumEdition.kit2009.modules
        var firsts: [String] = []
        for (i, m) in list.prefix(modules).enumerated() {
            firsts.append(f.note(1, on: LocalDate("2025-02-01")!.adding(days: i), topics: [m], handouts: true))
            f.note(2, on: LocalDate("2025-04-01")!.adding(days: i), topics: [m])
        }
        // Taught before the window, and a module outside the curriculum: neither counts.
        f.note(2, on: LocalDate("2024-10-01")!, topics: list)
        f.note(2, on: LocalDate("2025-05-01")!, topics: [.healthyLifestyle])
        let r = f.report()
        #expect(r.item(3).evidence == firsts)  // the first note teaching each module
        return r
    }

    @Test("Item 3: with no handouts recorded in the window the anchor is 1 (handouts not available)")
    func curriculumWithoutHandouts() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        for (i, m) in CurriculumEdition.kit2009.modules.enumerated() { f.note(1, on: LocalDate("2025-02-01")!.adding(days: i), topics: [m]) }
        let item = f.report().item(3)
        #expect(item.value == 10)
        #expect(item.score == 1)
        #expect(item.note?.contains("not available") == true)
    }
}

@Suite("Fidelity: provisional items, total, rater reviews")
struct FidelityReportTests {
    @Test("Items 1–4 are published, 5–13 provisional; all 13 carry names and scores 1–5")
    func provisionalFlags() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.note(1, on: LocalDate("2025-02-01")!, topics: [.recoveryStrategies], motivational: [.promoteHope])
        let r = f.report()
        #expect(r.items.map(\.number) == Array(1...13))
        #expect(r.items.map(\.provisional) == Array(repeating: false, count: 4) + Array(repeating: true, count: 9))
        #expect(r.items.allSatisfy { (1...5).contains($0.score) && !$0.name.isEmpty && !$0.measure.isEmpty })
        #expect(r.thresholds == FidelityThresholds())
    }

    @Test("Local thresholds change only the provisional items")
    func thresholdsAreLocal() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.enroll(2)
        f.note(1, on: LocalDate("2025-02-01")!, topics: [.recoveryStrategies], motivational: [.promoteHope], handouts: true)
        f.note(2, on: LocalDate("2025-02-01")!, topics: [.practicalFacts])
        let base = f.report()
        #expect(base.item(8).value == 50)
        #expect(base.item(8).score == 3)
        var strict = FidelityThresholds()
        strict.version = "strict"
        strict.item8 = .init(score2: 60, score3: 70, score4: 80, score5: 95)
        let r = f.report(thresholds: strict)
        #expect(r.item(8).score == 1)
        #expect(Array(r.items.prefix(4)) == Array(base.items.prefix(4)))
        #expect(r.thresholds.version == "strict")
        // A partial configuration keeps the defaults for what it leaves out.
        let decoded = try? JSONDecoder().decode(FidelityThresholds.self, from: Data(#"{"version":"x","goalReviewDays":45}"#.utf8))
        #expect(decoded?.goalReviewDays == 45 && decoded?.item5 == .percentBands && decoded?.version == "x")
    }

    @Test("Items 8–10: evidence is exactly the notes in the window with the box ticked")
    func evidenceIds() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.enroll(2)
        f.note(1, on: LocalDate("2024-12-20")!, motivational: [.promoteHope], cbt: [.shaping])  // before the window
        let a = f.note(1, on: LocalDate("2025-02-01")!, motivational: [.promoteHope])
        let b = f.note(2, on: LocalDate("2025-01-15")!, motivational: [.prosAndCons], cbt: [.modeling])
        f.note(2, on: LocalDate("2025-03-01")!)
        let r = f.report()
        #expect(r.item(8).evidence == [b, a])  // by date
        #expect(r.item(8).numerator == 2 && r.item(8).denominator == 3)
        #expect(r.item(10).evidence == [b])
        #expect(r.item(9).evidence.isEmpty && r.item(9).score == 1)
    }

    @Test("Evidence lists are capped at 25 ids with the total count beside")
    func evidenceCap() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        for d in 0..<40 { f.note(1, on: LocalDate("2025-01-02")!.adding(days: d), motivational: [.promoteHope]) }
        let item = f.report().item(8)
        #expect(item.evidence.count == 25)
        #expect(item.evidenceCount == 40)
    }

    @Test("Total is the mean of the 13 scores to 2 decimals; ≥ 4 high, 3 to < 4 moderate, < 3 low")
    func totalAndBand() {
        #expect(FidelityReport.band(of: 4) == "high")
        #expect(FidelityReport.band(of: 3.99) == "moderate")
        #expect(FidelityReport.band(of: 3) == "moderate")
        #expect(FidelityReport.band(of: 2.99) == "low")
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.note(1, on: LocalDate("2025-02-01")!, topics: [.recoveryStrategies], motivational: [.promoteHope], cbt: [.shaping], handouts: true)
        let r = f.report()
        let sum = r.items.map(\.score).reduce(0, +)
        #expect(r.total == (Double(sum) / 13 * 100).rounded() / 100)
        #expect(r.band == FidelityReport.band(of: Double(sum) / 13))
    }

    @Test("Item 7: goals must be reviewed at least every 30 days and followed up in half the notes")
    func goalFollowUp() {
        var f = FidelityFold()
        f.program()
        for c in 1...2 {
            f.enroll(c)
            f.add(GoalSet(goalId: .init("g\(c)")!, consumerId: f.consumer(c), text: "work", measurableCriterion: "3 days a week",
                          planProblem: "isolation", date: LocalDate("2024-12-01")!))
        }
        // c1: followed up in every note, monthly; c2: a 45-day gap.
        for d in stride(from: 0, through: 180, by: 25) { f.note(1, on: LocalDate("2025-01-01")!.adding(days: d), goals: ["g1"]) }
        for d in [0, 45, 90, 135, 170] { f.note(2, on: LocalDate("2025-01-01")!.adding(days: d), goals: ["g2"]) }
        let r = f.report()
        #expect(r.item(6).numerator == 2)
        #expect(r.item(7).numerator == 1 && r.item(7).denominator == 2)
        #expect(r.item(7).provisional)
    }

    @Test("Rater reviews dated in or before the window appear beside the computed scores")
    func raterReviews() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.note(1, on: LocalDate("2025-02-01")!)
        func review(_ id: String, _ day: String, _ score: Int) -> FidelityReviewCompleted {
            FidelityReviewCompleted(reviewId: .init(id)!, programId: "p1", raterKind: .external, raters: ["u9"], scaleVersion: .rev2005,
                                    visitDates: [LocalDate(day)!],
                                    items: (1...13).map { FidelityItemScore(item: $0, score: $0 == 1 ? 5 : score, sources: ["chart review"]) },
                                    total: Double(5 + 12 * score) / 13)
        }
        let early = f.add(review("rv1", "2024-07-01", 2))
        let inside = f.add(review("rv2", "2025-06-15", 4))
        f.add(review("rv3", "2025-09-01", 3))  // after the window
        let r = f.report()
        #expect(r.raterReviews.map(\.eventId) == [early, inside])
        #expect(r.raterReviews.map(\.reviewId) == ["rv1", "rv2"])
        #expect(r.raterReviews[1].itemScores == [5] + Array(repeating: 4, count: 12))
        #expect(r.raterReviews[1].raterKind == "external")
        #expect(r.raterReviews[1].band == "high")
        // The latest review's item scores sit beside the computed ones.
        #expect(r.item(1).raterScore == 5)
        #expect(r.item(13).raterScore == 4)
    }

    @Test("Records and reports round-trip through the canonical JSON the views store")
    func canonicalJSON() throws {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.note(1, on: LocalDate("2025-02-01")!, topics: [.recoveryStrategies, .healthyLifestyle], motivational: [.promoteHope],
               skills: [.copingWithSymptoms, .behavioralTailoring], handouts: true, supporter: "a friend")
        for (_, record) in f.records {
            let json = try JSONValueEncoder().encode(record)
            let back = try JSONValueDecoder(rejectsUnknownKeys: false).decode(FidelityProjection.Record.self, from: json)
            #expect(back == record)
        }
        let session = try #require(f.records["consumer-c1"]?.consumer?.sessions.first)
        #expect(session.topics.modules == [.recoveryStrategies, .healthyLifestyle])
        #expect(session.marks == [.motivational, .copingSkill, .behavioralTailoring, .handoutsGiven, .supporterPresent])
        _ = try JSONValueEncoder().encode(f.report()).canonicalString
    }

    @Test("The default window is the 6 months ending at asOf; later events are cut off")
    func defaultWindow() {
        var f = FidelityFold()
        f.program()
        f.enroll(1)
        f.note(1, on: LocalDate("2025-07-15")!, motivational: [.promoteHope])
        let r = FidelityProjection.report(records: f.records, program: "p1", asOf: LocalDate("2025-06-30")!)
        #expect(r.window == LocalDate("2025-01-01")!...LocalDate("2025-06-30")!)
        #expect(r.item(8).denominator == 0)
        #expect(FidelityProjection.defaultWindow(endingAt: LocalDate("2025-08-31")!) == LocalDate("2025-03-01")!...LocalDate("2025-08-31")!)
    }
}

@Suite("Fidelity: through a real store and the record core")
struct FidelityStoreTests {
    static func at(_ d: LocalDate) -> Timestamp { Timestamp(microseconds: Int64(d.dayNumber) * 86_400_000_000 + 36_000_000_000) }

    @Test("A recorded group session, training and rater review show up with their event ids; history every 6 months")
    func endToEnd() async throws {
        let tmp = try TemporaryStore()
        defer { tmp.remove() }
        let log = try tmp.create()
        let core = RecordCore(log: log)
        let actor = Actor(user: "u-test", role: "practitioner")
        let start = LocalDate("2025-01-06")!
        var n = 0
        @discardableResult
        func run(_ command: Command, _ day: LocalDate) async throws -> [String] {
            n += 1
            let result = try await core.execute(CommandRequest(command: command, occurredAt: Self.at(day), commandId: "fid-\(n)"), by: actor)
            return result.events.map(\.id)
        }
        try await run(.record(ProgramEstablished(programId: "p1", name: "North", curriculum: .kit2009, fidelityScale: .kit2009, startDate: start)), start)
        try await run(.record(TeamFormed(teamId: "t1", programId: "p1", name: "A", date: start)), start)
        try await run(.record(PractitionerJoined(practitionerId: "pr1", programId: "p1", teamId: "t1", role: .practitioner, startDate: start)), start)
        let training = try await run(.record(TrainingCompleted(practitionerId: "pr1", course: .basic, hours: 16, date: start)), start)
        var members: [ConsumerID] = []
        for c in 1...9 {
            let cid = ConsumerID("c\(c)")!, rid = ReferralID("r\(c)")!
            try await run(.record(ReferralReceived(referralId: rid, consumerId: cid, programId: "p1", source: .treatmentTeam, reason: "referred", date: start)), start)
            try await run(.record(ReferralAccepted(referralId: rid, decidedBy: "u1", formatOffered: .group, date: start)), start)
            try await run(.record(ConsumerEnrolled(enrollmentId: .init("e\(c)")!, consumerId: cid, programId: "p1", referralId: rid, format: .group,
                                                   startDate: start, curriculum: .kit2009, scaleVersion: .kit2009)), start)
            members.append(cid)
        }
        try await run(.record(GroupFormed(groupId: "g1", programId: "p1", facilitators: ["pr1"], members: members, startDate: start)), start)
        let day = start.adding(days: 14)
        let ids = try await run(.recordGroupSession(GroupSessionRecording(
            sessionId: "gs1", groupId: "g1", date: day, durationMinutes: 60, facilitators: ["pr1"], topics: [.recoveryStrategies],
            attendance: members.map { AttendanceEntry(consumerId: $0, status: .attended) },
            notes: members.map { GroupNote(consumerId: $0, motivational: [.promoteHope], skills: [.copingWithSymptoms], handoutsGiven: true) })), day)
        let reviewDay = start.adding(days: 60)
        let review = try await run(.record(FidelityReviewCompleted(
            reviewId: "rv1", programId: "p1", raterKind: .external, raters: ["u9"], scaleVersion: .kit2009, visitDates: [reviewDay],
            items: (1...13).map { FidelityItemScore(item: $0, score: 4, sources: ["interview"]) }, total: 4)), reviewDay)

        let views = try ProjectionStore.open(store: tmp.path, log: log)
        try views.catchUp()
        let snapshot = views.snapshot()
        let asOf = LocalDate("2025-06-30")!
        let r = try #require(snapshot.fidelity(program: "p1", asOf: asOf))
        #expect(snapshot.fidelity(program: "p-unknown", asOf: asOf) == nil)
        #expect(r.scaleVersion == FidelityScaleVersion.kit2009.rawValue)
        #expect(r.rosterSize == 9)
        // Item 1: nine attended → 4; its evidence is the group stream's GroupSessionHeld.
        #expect(r.item(1).score == 4)
        #expect(r.item(1).evidence == [ids[0]])
        let heldPosition = try #require(try log.position(ofEventID: ids[0], source: RecordCore.Options().source))
        let heldEvent = try #require(try log.readEvents(from: heldPosition, limit: 1).first)
        #expect(heldEvent.type == GroupSessionHeld.eventType)
        // Item 4: every attendee's note marks handouts; the notes are the evidence.
        #expect(r.item(4).score == 5)
        #expect(Set(r.item(4).evidence).isSubset(of: Set(ids.dropFirst())))
        #expect(r.item(4).evidenceCount == 9)
        // Item 11: the one practitioner is trained and ticked coping skills in the month.
        #expect(r.item(11).numerator == 1 && r.item(11).denominator == 1)
        #expect(r.item(11).evidence.first == training[0])
        // The rater's review beside.
        #expect(r.raterReviews.map(\.eventId) == review)
        #expect(r.raterReviews.first?.total == 4)
        #expect(r.items.allSatisfy { $0.raterScore == 4 })
        // History: every 6 months from the start, then the window ending at asOf.
        let history = snapshot.fidelityHistory(program: "p1", asOf: LocalDate("2026-01-10")!)
        #expect(history.map(\.date) == [LocalDate("2025-07-05")!, LocalDate("2026-01-05")!, LocalDate("2026-01-10")!])
        #expect(history[0].report.window == start...LocalDate("2025-07-05")!)
        #expect(history[0].report.item(1).score == 4)
        // The report encodes to canonical JSON (what `imr query --format json` prints).
        _ = try JSONValueEncoder().encode(r).canonicalString
    }
}
